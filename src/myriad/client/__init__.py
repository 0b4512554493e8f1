"""The client runtime: REST client, informers, workqueues, leader election and events (see ARCHITECTURE.md)."""
