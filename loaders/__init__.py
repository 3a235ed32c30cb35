"""Loaders: read agency files, clean, place on the map, write the store."""
