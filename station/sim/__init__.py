"""The simulated trainee: a member doing the dowel drill, as poses with their true labels.

    >>> import random
    >>> body, plan = random_set(random.Random(0), n_reps=3)
    >>> trainee = Trainee(body, plan, seed=0)
    >>> len(trainee.truth)
    3
"""

from station.sim.body import Body
from station.sim.plan import RepPlan, SetPlan, demo_sets, random_set, rep_plan
from station.sim.trainee import RepTruth, SimFrame, Trainee

__all__ = ["Body", "RepPlan", "RepTruth", "SetPlan", "SimFrame", "Trainee", "demo_sets", "random_set",
           "rep_plan"]
