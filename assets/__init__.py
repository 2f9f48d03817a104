"""Built-in data: objects, label maps. Read with importlib.resources."""
