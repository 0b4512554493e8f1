"""Generic REST storage: objects of any resource type kept in the storage layer, with the
per-resource behaviour supplied by strategies (``apiserver/strategies``)."""
