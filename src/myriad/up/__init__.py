"""``myriad up`` (:mod:`.command`: every component as its own supervised process) and ``myriad
apiserver`` (:mod:`.serve`: the API server alone, in-process). Nothing is imported here, so that
the ``myriad`` command loads the API server only for the commands that run it."""
