"""The Job controller: its rules (``policy``) and the controller."""
