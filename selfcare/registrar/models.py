"""No tables of its own: the registrar reads views over orders' issued lines (schema.py).

The module exists so that Django sends this app the post_migrate signal (it skips apps without
one), which refreshes the views from the settings after every migrate.
"""
