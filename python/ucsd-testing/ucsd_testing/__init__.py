"""ucsd for tests: the bundled `ucsd` binary, a server you can start from Python, and a pytest plugin.

    from ucsd_testing import UcsdServer, Ucsd

    with UcsdServer() as server:                     # temporary SQLite, testing mode, a free port
        ucsd = Ucsd(server.url, server.credentials)
        cce = ucsd.cce_client()                      # the official huaweicloudsdkcce CceClient
        ucsd.faults.error("show_cluster", 429, times=1)

The pytest plugin (`ucsd_testing.plugin`, loaded automatically) gives the fixtures `ucsd_server`,
`ucsd`, `ucs_client`, `cce_client` and `ucsd_credentials`.
"""

from ._binary import BinaryNotFound, find_ucsd
from .api import Clock, Faults, Journal, NotSettled, Record, Ucsd, UcsdError
from .server import Credentials, RemoteServer, ServerError, UcsdServer, parse_bootstrap, wait_ready

__all__ = [
    "BinaryNotFound", "Clock", "Credentials", "Faults", "Journal", "NotSettled", "Record",
    "RemoteServer", "ServerError", "Ucsd", "UcsdError", "UcsdServer", "find_ucsd", "parse_bootstrap",
    "wait_ready",
]
