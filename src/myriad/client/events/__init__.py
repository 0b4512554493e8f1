"""The event recorder: events.k8s.io/v1 Events, de-duplicated into series (KEP-383)."""
