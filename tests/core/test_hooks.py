"""The registries of :mod:`mda.core.signals`: features connect their providers when the app is built."""

from mda.core import signals
from mda.core.signals import Registry


def test_connecting_twice_keeps_one_provider_in_position_order():
    """Does a registry keep a provider once (tests build many apps) and hand them out by position?"""

    def first(): ...

    def second(): ...

    registry = Registry("test", "a registry for this test")
    registry.connect(second, position=20)
    registry.connect(first, position=10)
    registry.connect(second, position=20)
    assert list(registry) == [first, second]
    registry.disconnect(first)
    assert list(registry) == [second]


def test_the_features_connect_their_hooks_when_the_app_is_built(app):
    """Once the app is built, are the escalation locks, the forget providers and the start-page panels connected?"""
    from mda.escalations.locks import decision_item_refusal, phase_change_refusal, plan_subject_is_locked

    assert plan_subject_is_locked in signals.plan_lock_providers
    assert decision_item_refusal in signals.item_lock_providers
    assert phase_change_refusal in signals.phase_lock_providers
    assert {p.__name__ for p in signals.forget_providers} == {"forget_documents", "forget_revisions", "forget_states"}
    panels = [p.__module__ for p in signals.home_panels]
    assert panels == ["mda.cases", "mda.cases", "mda.meetings", "mda.safety_plan.approval_notices",
                      "mda.safety_plan.routes_follow_up", "mda.escalations", "mda.privacy"]


def test_no_feature_module_connects_at_import_time():
    """Is every hook connected from an ``init_app`` (or a blueprint's registration), never by module-level code?"""
    import ast
    from pathlib import Path

    offenders = []
    for path in Path("mda").rglob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                text = ast.unparse(node.value)
                if ".connect(" in text or "_register" in text or "_plug_in" in text:
                    offenders.append(f"{path}:{node.lineno} {text}")
    assert not offenders, offenders
