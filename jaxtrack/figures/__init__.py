"""Pictures and reports (matplotlib): label maps, the assigner study's curves and report, training
curves. Kept out of :mod:`jaxtrack.assign` so that the assigners import no plotting library."""
