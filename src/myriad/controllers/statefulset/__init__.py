"""The StatefulSet controller: pod identity and storage, and the ordered pass over pods."""
