"""The Deployment controller: the rollout logic and its arithmetic."""
