"""The default profile's plugins, one module each, vectorised over node-table rows."""
