"""Policy engine: packs (YAML data), the condition interpreter, text signals and the screen.

Public API::

    load_pack(path) -> Pack                         # PackError names file, line and key
    load_registry(extra_dirs) -> PackRegistry       # shipped packs + agency directories
    current_registry() / reload_registry(dirs)      # packs in force; a failed reload keeps them
    screen(values, pack) -> ScreenResult            # one use case: findings, evidence, trace
    screen_inventory(parsed, packs) -> Iterator[RowScreen]
    contract_row(row_screen) -> dict                # the CLI's JSON line
    diff_inventory(parsed, old, new) -> list[dict]
    load_crosswalk(registry) -> {old item: {to, notes}}
"""

from raigov.policy.crosswalk import crosswalk, load_crosswalk, map_items
from raigov.policy.packs import (
    Item,
    Pack,
    PackError,
    PackRegistry,
    current_registry,
    load_pack,
    load_registry,
    parse_pack,
    reload_registry,
)
from raigov.policy.screen import (
    Evidence,
    Finding,
    RowScreen,
    ScreenResult,
    TraceEntry,
    contract_row,
    diff_inventory,
    screen,
    screen_inventory,
)

__all__ = [
    "Evidence", "Finding", "Item", "Pack", "PackError", "PackRegistry", "RowScreen", "ScreenResult",
    "TraceEntry", "contract_row", "crosswalk", "current_registry", "diff_inventory", "load_crosswalk",
    "load_pack", "load_registry", "map_items", "parse_pack", "reload_registry", "screen", "screen_inventory",
]
