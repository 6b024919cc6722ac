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

# The names below load on first use (PEP 562), so that importing a module of this package (e.g.
# raigov.policy.register, read by `raigov --help`) does not load the packs' machinery. Note that
# `raigov.policy.screen` (and `.crosswalk`) is the module once that is imported; the functions are
# raigov.policy.screen.screen and raigov.policy.crosswalk.crosswalk.
_NAMES = {
    "crosswalk": "raigov.policy.crosswalk",
    "load_crosswalk": "raigov.policy.crosswalk",
    "map_items": "raigov.policy.crosswalk",
    "Item": "raigov.policy.packs",
    "Pack": "raigov.policy.packs",
    "PackError": "raigov.policy.packs",
    "PackRegistry": "raigov.policy.packs",
    "current_registry": "raigov.policy.packs",
    "load_pack": "raigov.policy.packs",
    "load_registry": "raigov.policy.packs",
    "parse_pack": "raigov.policy.packs",
    "reload_registry": "raigov.policy.packs",
    "Evidence": "raigov.policy.screen",
    "Finding": "raigov.policy.screen",
    "RowScreen": "raigov.policy.screen",
    "ScreenResult": "raigov.policy.screen",
    "TraceEntry": "raigov.policy.screen",
    "contract_row": "raigov.policy.screen",
    "diff_inventory": "raigov.policy.screen",
    "screen": "raigov.policy.screen",
    "screen_inventory": "raigov.policy.screen",
}

__all__ = [
    "Evidence", "Finding", "Item", "Pack", "PackError", "PackRegistry", "RowScreen", "ScreenResult",
    "TraceEntry", "contract_row", "crosswalk", "current_registry", "diff_inventory", "load_crosswalk",
    "load_pack", "load_registry", "map_items", "parse_pack", "reload_registry", "screen", "screen_inventory",
]


def __getattr__(name: str):
    if name in _NAMES:
        import importlib

        value = getattr(importlib.import_module(_NAMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'raigov.policy' has no attribute {name!r}")
