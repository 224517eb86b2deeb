"""A simulated OCPI party (CPO, eMSP, ...) that talks to the hub over real HTTP, as an outside platform would.

The test suite's end-to-end flows, the ``demo`` management command and the benchmarks all use it
(``ocpi_party.party.OcpiParty``). It is not part of the hub: it imports none of the hub's packages (an
import contract in pyproject.toml keeps it so), and the hub imports it only in the ``demo`` command.
"""
