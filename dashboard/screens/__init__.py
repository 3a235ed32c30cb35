"""One module a page; each render() reads, calls, draws. Screens import nothing from each other."""
