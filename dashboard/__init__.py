"""The Fengtai "4+4" zone dashboard (丰台“4+4”功能区地理信息看板): a Streamlit app.

Imports run one way: ``dashboard`` → ``loaders`` → ``geodata``.
"""
