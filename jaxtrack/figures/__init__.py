"""Pictures and reports of label assignment (matplotlib): label maps, the study's curves and its
report. Kept out of :mod:`jaxtrack.assign` so that the assigners import no plotting library."""
