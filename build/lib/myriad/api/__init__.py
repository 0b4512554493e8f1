"""Wire-level pieces shared by the API server and its clients: Status errors, the resource
registry, metadata helpers, selectors, schemas and patches."""
