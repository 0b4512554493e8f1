"""Informers: a reflector keeps an indexed local cache in step with the API server and calls
handlers on every change; a factory shares one reflector per resource and selector."""
