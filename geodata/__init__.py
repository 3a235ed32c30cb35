"""Zone and street geometries of Fengtai District, their names and coordinate systems.

Nothing here imports streamlit, folium or the loaders: imports flow
``dashboard -> loaders -> geodata``.
"""
