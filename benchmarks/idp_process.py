"""The local identity provider in a process of its own: ``python -m benchmarks.idp_process CONFIG PORT``.

Runs until its standard input closes (the benchmark runner holds the pipe), so it never outlives
the run. The provider does the same work for both sides of the login benchmark; in its own
process it does not compete with the load generator for the GIL.
"""

from __future__ import annotations

import json
import sys

from tenant_sso.devidp import DevIdP, DevIdPConfig


def main() -> None:
    config = DevIdPConfig.from_dict(json.loads(open(sys.argv[1]).read()))
    # Keep-alive, as Cognito and real providers: a warm app reuses its back-channel connection.
    with DevIdP(config).serve(port=int(sys.argv[2]), keep_alive=True) as server:
        print(server.base_url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
