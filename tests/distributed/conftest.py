# The MPI worker scripts run under mpiexec only: keep them out of doctest collection.
collect_ignore = ["workers"]
