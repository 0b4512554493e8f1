"""``myriad up`` (:mod:`.command`: every component as its own supervised process) and ``myriad
apiserver`` (:mod:`.serve`: the API server alone, in-process)."""

from myriad.up.command import run
from myriad.up.serve import run_apiserver
from myriad.up.types import COMPONENTS, UpOptions

__all__ = ["COMPONENTS", "UpOptions", "run", "run_apiserver"]
