"""The DaemonSet controller: where its pods belong, and its rolling update."""
