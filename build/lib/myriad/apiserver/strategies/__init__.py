"""Per-resource behaviour: defaults, validation, status/main split, printers. ``for_resource``
picks the strategy of a resource type; unlisted types use :class:`GenericStrategy`."""
