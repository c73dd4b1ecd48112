"""Tests of engine/_backends.py: the engine registry, plugin engines and the default engine."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from engine._backends import (
    available_backends,
    default_backend,
    get_engine,
    register_engine,
    set_default_backend,
    unregister_engine,
    use_backend,
)
from engine._hookspecs import hookimpl
from engine._plugins import PluginWarning, register_plugin
from rulescore import HasReverseMode, RuleConfig

pytestmark = pytest.mark.usefixtures("fresh_plugins")

Install = Callable[[str, str, str], None]


class Toy(RuleConfig, HasReverseMode):
    name = "toy"


@pytest.fixture
def toy() -> Iterator[None]:
    register_engine("toy", Toy)
    yield
    unregister_engine("toy")


def in_thread(function: Callable[[], str]) -> str:
    seen: list[str] = []
    thread = threading.Thread(target=lambda: seen.append(function()))
    thread.start()
    thread.join()
    return seen[0]


@pytest.mark.usefixtures("toy")
def test_engine_is_built_once_and_cached():
    engine = get_engine("toy")
    assert type(engine) is Toy
    assert get_engine("toy") is engine


def test_engine_is_built_once_across_threads():
    built: list[RuleConfig] = []

    def slow_factory() -> RuleConfig:
        time.sleep(0.01)
        built.append(Toy())
        return built[-1]

    register_engine("slow", slow_factory)
    try:
        engines: list[RuleConfig] = []
        threads = [
            threading.Thread(target=lambda: engines.append(get_engine("slow"))) for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(built) == 1
        assert all(engine is built[0] for engine in engines)
    finally:
        unregister_engine("slow")


def test_register_engine_refuses_a_taken_name():
    register_engine("toy", Toy)
    try:
        register_engine("toy", Toy)
        with pytest.raises(ValueError, match="'toy' is already registered"):
            register_engine("toy", RuleConfig)
    finally:
        unregister_engine("toy")
    with pytest.raises(ValueError, match="no engine named 'toy'"):
        unregister_engine("toy")


def test_plugin_engine_is_selectable_by_name(engine_plugin: str):
    assert engine_plugin not in sys.modules
    engine = get_engine("fake")
    assert type(engine) is sys.modules[engine_plugin].FakeEngine
    assert "fake" in available_backends()
    with use_backend("fake"):
        assert get_engine() is engine


def test_plugin_registered_later_is_seen():
    assert "late" not in available_backends()

    class LatePlugin:
        @hookimpl
        def register_engines(self) -> dict[str, Callable[[], RuleConfig]]:
            return {"late": Toy}

    register_plugin(LatePlugin(), name="late_plugin")
    assert type(get_engine("late")) is Toy


def test_failing_factory_names_the_engine_and_its_plugin(install_plugin: Install):
    source = (
        "from engine._hookspecs import hookimpl\n"
        "def build():\n"
        "    raise OSError('no GPU')\n"
        "@hookimpl\n"
        "def register_engines():\n"
        "    return {'gpu': build}\n"
    )
    install_plugin("gpu_plugin", "gpu_rules_module", source)
    with pytest.raises(RuntimeError, match=r"engine 'gpu' \(from plugin 'gpu_plugin'\)") as info:
        get_engine("gpu")
    assert isinstance(info.value.__cause__, OSError)


def test_factory_must_build_a_rule_config():
    register_engine("not_an_engine", object)
    try:
        with pytest.raises(TypeError, match=r"'not_an_engine' .*object, not a RuleConfig"):
            get_engine("not_an_engine")
    finally:
        unregister_engine("not_an_engine")


def test_failing_hook_warns_and_the_other_engines_stay(engine_plugin: str):
    class BrokenPlugin:
        @hookimpl
        def register_engines(self) -> dict[str, Callable[[], RuleConfig]]:
            raise KeyError("config")

    register_plugin(BrokenPlugin(), name="broken_plugin")
    with pytest.warns(PluginWarning, match="'broken_plugin'.*KeyError"):
        assert type(get_engine("fake")).__name__ == "FakeEngine"


@pytest.mark.usefixtures("toy")
def test_engine_name_taken_by_a_plugin_warns_and_the_built_in_wins():
    class ShadowPlugin:
        @hookimpl
        def register_engines(self) -> dict[str, Callable[[], RuleConfig]]:
            return {"toy": RuleConfig}

    register_plugin(ShadowPlugin(), name="shadow_plugin")
    with pytest.warns(PluginWarning, match="'shadow_plugin'.*'toy' is taken"):
        assert available_backends().count("toy") == 1
    assert type(get_engine("toy")) is Toy


def test_unknown_names_raise_listing_the_available_ones():
    register_engine("toy_b", Toy)
    register_engine("toy_a", Toy)
    try:
        names = available_backends()
        assert names == sorted(names)
        assert {"toy_a", "toy_b"} <= set(names)
        message = f"unknown engine 'nope'; available: {', '.join(names)}$"
        with pytest.raises(ValueError, match=message):
            get_engine("nope")
        with pytest.raises(ValueError, match=message), use_backend("nope"):
            pass
        with pytest.raises(ValueError, match=message):
            set_default_backend("nope")
    finally:
        unregister_engine("toy_a")
        unregister_engine("toy_b")


@pytest.mark.usefixtures("toy")
def test_use_backend_nests_and_restores():
    register_engine("other", Toy)
    try:
        assert default_backend() == "reverse"
        with use_backend("toy"):
            assert default_backend() == "toy"
            with use_backend("other"):
                assert default_backend() == "other"
            assert default_backend() == "toy"
            with pytest.raises(ZeroDivisionError), use_backend("other"):
                1 / 0  # noqa: B018
            assert default_backend() == "toy"
        assert default_backend() == "reverse"
    finally:
        unregister_engine("other")


@pytest.mark.usefixtures("toy")
def test_use_backend_is_per_thread():
    with use_backend("toy"):
        assert in_thread(default_backend) == "reverse"


@pytest.mark.usefixtures("toy")
def test_use_backend_is_per_async_task():
    async def select(name: str) -> str:
        with use_backend(name):
            await asyncio.sleep(0)
            return default_backend()

    async def read() -> str:
        await asyncio.sleep(0)
        return default_backend()

    async def both() -> list[str]:
        return list(await asyncio.gather(select("toy"), read()))

    assert asyncio.run(both()) == ["toy", "reverse"]


@pytest.mark.usefixtures("toy")
def test_set_default_backend_is_process_wide():
    set_default_backend("toy")
    assert in_thread(default_backend) == "toy"
    assert type(get_engine()) is Toy
    with use_backend("toy"):
        set_default_backend(None)
        assert default_backend() == "toy"
    assert default_backend() == "reverse"


@pytest.mark.parametrize("name", ["forward", "tape"])
def test_params_need_an_engine_that_reports_implicit_parameters(name):
    import numpy as np

    import engine
    from rulescore import MissingCapabilityError

    weights = np.array([1.0, 2.0])
    with pytest.raises(
        MissingCapabilityError, match="cannot differentiate with respect to `Params`"
    ):
        engine.gradient(lambda: np.sum(weights**2), engine.Params([weights]), backend=name)
    grads = engine.gradient(lambda: np.sum(weights**2), engine.Params([weights]))
    assert np.array_equal(grads[weights], [2.0, 4.0])
