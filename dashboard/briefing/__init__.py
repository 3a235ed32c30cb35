"""The meeting figures shared by slides and the PDF brief, the brief itself and its CLI."""
