"""The pool's custom attributes ``custom:groups`` and ``custom:roles``, shared by every tenant of the pool.

Custom attributes cannot be changed or deleted once created, and adding an existing one is an
error: only missing ones are added, a mismatch is reported as a note.
"""

from __future__ import annotations

from .model import Change, CurrentState, Part, PoolRef, Step

#: Custom attribute size limit, and the length we create them with (docs/cognito.md, "Groups").
CUSTOM_ATTRIBUTE_MAX_LENGTH = "2048"


def plan_custom_attributes(pool: PoolRef, current: CurrentState, *, roles: bool) -> Part:
    """Add ``custom:groups`` (and ``custom:roles`` when a roles claim is mapped) if missing."""
    wanted = ["groups"] + (["roles"] if roles else [])
    missing = []
    notes = []
    for name in wanted:
        attribute = current.custom_attributes.get(f"custom:{name}")
        if attribute is None:
            missing.append(name)
            continue
        constraints = attribute.get("StringAttributeConstraints") or {}
        if not attribute.get("Mutable", True) or str(constraints.get("MaxLength", "")) != CUSTOM_ATTRIBUTE_MAX_LENGTH:
            notes.append(
                f"custom:{name} exists with Mutable={attribute.get('Mutable')} "
                f"MaxLength={constraints.get('MaxLength')} (wanted mutable, {CUSTOM_ATTRIBUTE_MAX_LENGTH}); "
                "Cognito cannot change a custom attribute: sign-in may fail when the groups change or grow."
            )
    if not missing:
        return Part(notes=tuple(notes))
    step = Step(
        "add_custom_attributes",
        pool.user_pool_id,
        tuple(Change(f"custom:{n}", None, f"String, mutable, MaxLength {CUSTOM_ATTRIBUTE_MAX_LENGTH}") for n in missing),
        {
            "UserPoolId": pool.user_pool_id,
            "CustomAttributes": [
                {
                    "Name": name,
                    "AttributeDataType": "String",
                    "Mutable": True,
                    "StringAttributeConstraints": {"MaxLength": CUSTOM_ATTRIBUTE_MAX_LENGTH},
                }
                for name in missing
            ],
        },
    )
    return Part((step,), tuple(notes))
