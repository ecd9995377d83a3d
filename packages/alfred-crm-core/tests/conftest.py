# The plugin's fixture, re-exported here: a conftest fixture always wins over the one anyio's
# own plugin registers (which, before anyio 4.5 or so, also parametrizes tests over trio).
from alfred_crm_core.testing import anyio_backend as anyio_backend
