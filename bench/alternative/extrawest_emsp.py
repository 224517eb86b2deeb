"""An in-memory eMSP built on the ``extrawest-ocpi`` library (``py_ocpi``, FastAPI), for bench BL.

Runs in its own virtualenv (``bench.alternative.venv``), never with the hub's packages: it imports nothing of
the hub. It serves OCPI 2.2.1 Locations as an eMSP (receiver): a PUT of a Location is validated by the
library's models and kept in a dictionary, as the hub's Location PUT stores it durably. The token is read
from ``BENCH_ALT_TOKEN``.

    python bench/alternative/extrawest_emsp.py PORT WORKERS
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

from py_ocpi import get_application
from py_ocpi.core.authentication.authenticator import Authenticator
from py_ocpi.core.crud import Crud
from py_ocpi.core.enums import ModuleID, RoleEnum
from py_ocpi.modules.versions.enums import VersionNumber

STORE: dict[tuple[str, str, str], dict[str, Any]] = {}
TOKEN = os.environ.get("BENCH_ALT_TOKEN", "bench")


def _key(module: Any, id_: Any, kwargs: dict[str, Any]) -> tuple[str, str, str]:
    # lower case: the library's CiString lower-cases the ids of the URL and of the documents
    owner = f"{kwargs.get('country_code')}/{kwargs.get('party_id')}".lower()
    return (str(module), owner, str(id_).lower())


def _seed() -> None:
    """Locations every worker process holds from the start (``BENCH_ALT_SEED``, a JSON list): the EVSE PATCH
    leg patches them, whichever worker a request reaches (each process has its own dictionary)."""
    path = os.environ.get("BENCH_ALT_SEED")
    if not path:
        return
    with open(path, encoding="utf-8") as seed:
        for location in json.load(seed):
            owner = {"country_code": location["country_code"], "party_id": location["party_id"]}
            STORE[_key(ModuleID.locations, location["id"], owner)] = location


_seed()


class MemoryCrud(Crud):
    @classmethod
    async def get(cls, module: ModuleID, role: RoleEnum, id: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        return STORE.get(_key(module, id, kwargs))

    @classmethod
    async def list(cls, module: ModuleID, role: RoleEnum, filters: dict, *args: Any, **kwargs: Any) -> Any:
        items = [value for key, value in STORE.items() if key[0] == str(module)]
        return items, len(items), True

    @classmethod
    async def create(cls, module: ModuleID, role: RoleEnum, data: dict, *args: Any, **kwargs: Any) -> Any:
        STORE[_key(module, data.get("id"), kwargs)] = data
        return data

    @classmethod
    async def update(cls, module: ModuleID, role: RoleEnum, data: dict, id: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        STORE[_key(module, id, kwargs)] = data
        return data

    @classmethod
    async def delete(cls, module: ModuleID, role: RoleEnum, id: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        STORE.pop(_key(module, id, kwargs), None)

    @classmethod
    async def do(cls, module: ModuleID, role: RoleEnum, action: Any, *args: Any, **kwargs: Any) -> Any:
        return None


class OneToken(Authenticator):
    @classmethod
    async def get_valid_token_c(cls) -> list[str]:
        return [TOKEN]

    @classmethod
    async def get_valid_token_a(cls) -> list[str]:
        return [TOKEN]


app = get_application(
    version_numbers=[VersionNumber.v_2_2_1],
    roles=[RoleEnum.emsp],
    crud=MemoryCrud,
    modules=[ModuleID.locations],
    authenticator=OneToken,
)


# The library logs every request at INFO: not what is measured. At import, so that it holds in every worker
# process uvicorn spawns (they import this module; they do not run the block below).
logging.disable(logging.INFO)

if __name__ == "__main__":
    import uvicorn

    port, workers = int(sys.argv[1]), int(sys.argv[2])
    uvicorn.run(
        "extrawest_emsp:app", host="127.0.0.1", port=port, workers=workers, log_level="warning", access_log=False
    )
