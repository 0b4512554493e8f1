"""``myriad bench density``: the whole cluster, measured as clusterloader2 measures one (:mod:`.run`)."""
