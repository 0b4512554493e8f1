"""REST endpoints: turning HTTP requests on resource paths into ObjectStore and ReadPath calls."""
