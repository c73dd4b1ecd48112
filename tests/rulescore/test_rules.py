"""Tests of rulescore/_rules.py: the `rrule` and `frule` registries.

Every test defines its own functions to register rules for, so that no rule leaks into
another test through the process-wide registries.
"""

import inspect
import numbers
import threading

import pytest

from rulescore import (
    AmbiguousRuleError,
    HasForwardMode,
    HasReverseMode,
    NoTangent,
    RuleConfig,
    RuleInfo,
    frule,
    rrule,
)


class ReverseConfig(RuleConfig, HasReverseMode):
    pass


class ForwardConfig(RuleConfig, HasForwardMode):
    pass


def next_line():
    """The line number after the caller's current line."""
    return inspect.currentframe().f_back.f_lineno + 1


def tagged(tag):
    """An rrule that returns `(tag, pullback)`, to see which rule was chosen."""

    def rule(*args, **kwargs):
        def tagged_pullback(dy):
            return (NoTangent(), *(dy for _ in args))

        return tag, tagged_pullback

    return rule


def chosen(f, *args, config=None):
    """The tag of the rrule chosen for `f(*args)`, or None."""
    result = rrule(f, *args) if config is None else rrule(config, f, *args)
    return None if result is None else result[0]


# --- registration and calling -------------------------------------------------------------


def test_register_returns_the_rule_unchanged_and_rrule_calls_it():
    def square(x):
        return x * x

    def square_rrule(x):
        def square_pullback(dy):
            return NoTangent(), 2 * x * dy

        return square(x), square_pullback

    assert rrule.register(square)(square_rrule) is square_rrule
    y, pullback = rrule(square, 3.0)
    assert y == 9.0
    assert pullback(1.0) == (NoTangent(), 6.0)


def test_frule_register_returns_the_rule_and_frule_passes_the_tangents_first():
    def square(x):
        return x * x

    seen = []

    def square_frule(tangents, x):
        seen.append(tangents)
        _, dx = tangents
        return square(x), 2 * x * dx

    assert frule.register(square)(square_frule) is square_frule
    assert frule((NoTangent(), 1.0), square, 3.0) == (9.0, 6.0)
    assert seen == [(NoTangent(), 1.0)]


def test_no_rule_gives_none():
    def f(x):
        return x

    assert rrule(f, 1.0) is None
    assert frule((NoTangent(), 1.0), f, 1.0) is None


def test_an_rrule_does_not_make_an_frule():
    def f(x):
        return x

    rrule.register(f)(tagged("reverse"))
    assert frule((NoTangent(), 1.0), f, 1.0) is None


def test_keyword_arguments_are_passed_to_the_rules():
    def f(x, *, scale=1.0):
        return scale * x

    @rrule.register(f)
    def _(x, *, scale=1.0):
        return f(x, scale=scale), None

    @frule.register(f)
    def _(tangents, x, *, scale=1.0):
        return f(x, scale=scale), scale * tangents[1]

    assert rrule(f, 2.0, scale=3.0)[0] == 6.0
    assert frule((NoTangent(), 1.0), f, 2.0, scale=3.0) == (6.0, 3.0)


def test_keyword_arguments_do_not_take_part_in_dispatch():
    def f(x, flag=None):
        return x

    rrule.register(f, float)(tagged("float"))
    assert rrule(f, 1.0, flag="text")[0] == "float"
    assert rrule(f, "x", flag=1.0) is None


def test_rule_types_must_be_classes():
    def f(x):
        return x

    with pytest.raises(TypeError, match="rule types must be classes"):
        rrule.register(f, 3)(tagged("bad"))


# --- dispatch on types --------------------------------------------------------------------


@pytest.mark.parametrize("order", [[int, numbers.Real, object], [object, numbers.Real, int]])
def test_the_most_specific_rule_wins_whatever_the_registration_order(order):
    def f(x):
        return x

    for kind in order:
        rrule.register(f, kind)(tagged(kind.__name__))
    assert chosen(f, 1) == "int"
    assert chosen(f, 1.5) == "Real"
    assert chosen(f, "text") == "object"


def test_tuples_and_unions_of_types():
    def f(x):
        return x

    rrule.register(f, (int, float))(tagged("tuple"))
    rrule.register(f, complex | str)(tagged("union"))
    assert chosen(f, 1) == "tuple"
    assert chosen(f, 1.0) == "tuple"
    assert chosen(f, 1j) == "union"
    assert chosen(f, "x") == "union"
    assert chosen(f, b"x") is None


def test_a_narrower_union_is_more_specific():
    def f(x):
        return x

    rrule.register(f, int | float | complex)(tagged("number"))
    rrule.register(f, int | float)(tagged("real"))
    assert chosen(f, 1) == "real"
    assert chosen(f, 1j) == "number"


def test_types_constrain_the_leading_arguments_only():
    def f(*args):
        return args

    rrule.register(f, float)(tagged("float"))
    assert chosen(f, 1.0, "anything", None) == "float"
    assert chosen(f, "x", 1.0) is None


def test_a_rule_for_more_arguments_than_given_does_not_apply():
    def f(*args):
        return args

    rrule.register(f, float, float)(tagged("two floats"))
    assert chosen(f, 1.0) is None
    assert chosen(f, 1.0, 2.0) == "two floats"


def test_a_longer_signature_is_more_specific():
    def f(*args):
        return args

    rrule.register(f)(tagged("any"))
    rrule.register(f, float)(tagged("float"))
    rrule.register(f, float, float)(tagged("float, float"))
    assert chosen(f, 1.0, 2.0) == "float, float"
    assert chosen(f, 1.0, "x") == "float"
    assert chosen(f, "x", 2.0) == "any"
    assert chosen(f) == "any"


def test_registering_the_same_signature_replaces_the_rule():
    def f(x):
        return x

    rrule.register(f, float)(tagged("first"))
    rrule.register(f, float)(tagged("second"))
    assert chosen(f, 1.0) == "second"
    assert len(rrule.rules_for(f)) == 1


def test_the_same_types_with_and_without_a_config_are_two_rules():
    def f(x):
        return x

    rrule.register(f, float)(tagged("generic"))
    rrule.register(f, float, config=HasReverseMode)(tagged("reverse"))
    assert len(rrule.rules_for(f)) == 2


def test_an_ambiguous_call_raises_naming_both_definitions():
    def f(a, b):
        return a

    first = next_line()
    rrule.register(f, int, object)(tagged("left"))
    second = next_line()
    rrule.register(f, object, int)(tagged("right"))
    assert chosen(f, 1, "x") == "left"
    assert chosen(f, "x", 1) == "right"
    with pytest.raises(AmbiguousRuleError, match="is ambiguous") as error:
        rrule(f, 1, 1)
    message = str(error.value)
    assert f"{__file__}:{first}" in message
    assert f"{__file__}:{second}" in message
    assert "(int, int)" in message
    assert isinstance(error.value, TypeError)


def test_an_ambiguity_is_resolved_by_a_rule_for_the_intersection():
    def f(a, b):
        return a

    rrule.register(f, int, object)(tagged("left"))
    rrule.register(f, object, int)(tagged("right"))
    rrule.register(f, int, int)(tagged("both"))
    assert chosen(f, 1, 1) == "both"


def test_an_ambiguous_frule_raises_too():
    def f(a, b):
        return a

    frule.register(f, int, object)(tagged("left"))
    frule.register(f, object, int)(tagged("right"))
    with pytest.raises(AmbiguousRuleError, match="frule for"):
        frule((NoTangent(), 1, 1), f, 1, 1)


# --- opt-outs -----------------------------------------------------------------------------


def test_opt_out_hides_the_generic_rule_for_its_types_only():
    def f(x):
        return x

    rrule.register(f)(tagged("generic"))
    rrule.opt_out(f, int)
    assert rrule(f, 1) is None
    assert chosen(f, 1.0) == "generic"
    assert chosen(f, True) is None  # bool is an int


def test_a_more_specific_rule_beats_an_opt_out():
    def f(x):
        return x

    rrule.register(f)(tagged("generic"))
    rrule.opt_out(f, numbers.Real)
    rrule.register(f, int)(tagged("int"))
    assert chosen(f, 1) == "int"
    assert chosen(f, 1.0) is None


def test_opt_outs_are_listed_but_are_not_rules():
    def only_opted_out(x):
        return x

    rrule.opt_out(only_opted_out, int)
    assert not rrule.has_rule(only_opted_out)
    assert only_opted_out not in rrule.functions()
    assert [info.kind for info in rrule.rules_for(only_opted_out)] == ["opt_out"]
    assert rrule.rules_for(only_opted_out)[0].rule is None


# --- rules that need a configuration ------------------------------------------------------


def test_a_config_rule_applies_only_under_a_capable_config_and_receives_it():
    def apply(g, x):
        return g(x)

    received = []

    @rrule.register(apply, config=HasReverseMode)
    def _(config, g, x):
        received.append(config)
        return "via ad", None

    config = ReverseConfig()
    assert rrule(apply, abs, 1.0) is None
    assert rrule(RuleConfig(), apply, abs, 1.0) is None
    assert rrule(ForwardConfig(), apply, abs, 1.0) is None
    assert rrule(config, apply, abs, 1.0)[0] == "via ad"
    assert received == [config]


def test_under_a_capable_config_the_config_rule_beats_a_more_specific_generic_one():
    def f(x):
        return x

    rrule.register(f, float)(tagged("generic float"))
    rrule.register(f, object, config=HasReverseMode)(tagged("reverse"))
    assert chosen(f, 1.0, config=ReverseConfig()) == "reverse"
    assert chosen(f, 1.0, config=ForwardConfig()) == "generic float"
    assert chosen(f, 1.0) == "generic float"


def test_a_generic_rule_is_called_without_the_config():
    def f(x):
        return x

    seen = []

    @rrule.register(f)
    def _(*args):
        seen.append(args)
        return f(*args), None

    rrule(ReverseConfig(), f, 2.0)
    assert seen == [(2.0,)]


def test_frule_config_rules():
    def f(x):
        return x

    @frule.register(f, config=HasForwardMode)
    def _(config, tangents, x):
        return config, tangents

    config = ForwardConfig()
    assert frule((NoTangent(), 1.0), f, 2.0) is None
    assert frule(ReverseConfig(), (NoTangent(), 1.0), f, 2.0) is None
    assert frule(config, (NoTangent(), 1.0), f, 2.0) == (config, (NoTangent(), 1.0))


def test_the_cache_distinguishes_configs():
    def f(x):
        return x

    rrule.register(f)(tagged("generic"))
    rrule.register(f, config=HasReverseMode)(tagged("reverse"))
    for _ in range(2):
        assert chosen(f, 1.0) == "generic"
        assert chosen(f, 1.0, config=ReverseConfig()) == "reverse"


# --- unhashable callables -----------------------------------------------------------------


class Unhashable:
    __hash__ = None

    def __call__(self, x):
        return x


def test_an_unhashable_callable_has_no_rules():
    f = Unhashable()
    assert rrule(f, 1.0) is None
    assert frule((NoTangent(), 1.0), f, 1.0) is None
    assert rrule.rules_for(f) == ()
    assert not rrule.has_rule(f)


@pytest.mark.parametrize("table", [rrule, frule], ids=["rrule", "frule"])
def test_registering_for_an_unhashable_callable_is_a_type_error(table):
    with pytest.raises(TypeError, match=r"keyed on the function.*not hashable"):
        table.register(Unhashable())(tagged("never"))


# --- introspection ------------------------------------------------------------------------


def test_rules_for_lists_each_rule_with_where_it_was_defined():
    def f(x):
        return x

    rule = tagged("float")
    line = next_line()
    rrule.register(f, float)(rule)
    (info,) = rrule.rules_for(f)
    assert isinstance(info, RuleInfo)
    assert info.function is f
    assert info.types == ((float,),)
    assert info.rule is rule
    assert info.kind == "rule"
    assert info.config is None
    assert info.defined_at == f"{__file__}:{line}"


def test_a_decorated_rule_is_defined_at_the_decoration():
    def f(x):
        return x

    line = next_line() + 1

    @rrule.register(f)
    def _(x):
        return x, None

    assert rrule.rules_for(f)[0].defined_at == f"{__file__}:{line}"


def test_rules_for_keeps_registration_order():
    def f(x):
        return x

    rrule.register(f, int)(tagged("int"))
    rrule.register(f, float)(tagged("float"))
    rrule.opt_out(f, str)
    assert [info.types for info in rrule.rules_for(f)] == [((int,),), ((float,),), ((str,),)]


def test_functions_and_has_rule():
    def f(x):
        return x

    def g(x):
        return x

    rrule.register(f)(tagged("f"))
    assert f in rrule.functions()
    assert g not in rrule.functions()
    assert rrule.has_rule(f)
    assert not rrule.has_rule(g)
    assert rrule.rules_for(g) == ()
    assert not frule.has_rule(f)


def test_rule_info_str():
    def f(x, y):
        return x

    line = next_line()
    rrule.register(f, int | float, object, config=HasReverseMode)(tagged("f"))
    text = str(rrule.rules_for(f)[0])
    assert text == (
        f"rule for {__name__}.test_rule_info_str.<locals>.f(int | float, object, "
        f"config=HasReverseMode) at {__file__}:{line}"
    )


def test_rule_info_str_without_types():
    def f(x):
        return x

    rrule.register(f)(tagged("f"))
    assert str(rrule.rules_for(f)[0]).startswith(f"rule for {__name__}.")
    assert ".<locals>.f(...) at " in str(rrule.rules_for(f)[0])


# --- generation and the lookup cache ------------------------------------------------------


@pytest.mark.parametrize("table", [rrule, frule], ids=["rrule", "frule"])
def test_generation_counts_each_registration(table):
    def f(x):
        return x

    before = table.generation
    table.register(f)(tagged("a"))
    assert table.generation == before + 1
    table.register(f)(tagged("replacement"))
    assert table.generation == before + 2
    table.opt_out(f, int)
    assert table.generation == before + 3


def test_a_rule_registered_after_a_lookup_is_found():
    def f(x):
        return x

    assert rrule(f, 1.0) is None
    rrule.register(f, float)(tagged("late"))
    assert chosen(f, 1.0) == "late"


def test_the_cache_notices_a_rule_registered_after_a_cached_miss():
    def f(x):
        return x

    rrule.register(f, str)(tagged("str"))
    assert chosen(f, 1.0) is None
    assert chosen(f, 1.0) is None
    rrule.register(f, float)(tagged("float"))
    assert chosen(f, 1.0) == "float"


def test_the_cache_notices_a_more_specific_rule_after_a_cached_hit():
    def f(x):
        return x

    rrule.register(f)(tagged("generic"))
    assert chosen(f, 1) == "generic"
    rrule.register(f, int)(tagged("int"))
    assert chosen(f, 1) == "int"


def test_a_rule_registered_while_a_lookup_is_running_is_not_hidden_by_the_cache():
    def f(x):
        return x

    registered = []

    class RegistersDuringLookup(type):
        # Stands in for another thread registering a rule while this lookup runs.
        def __instancecheck__(cls, instance):
            if not registered:
                registered.append(True)
                rrule.register(f, float)(tagged("float"))
            return False

    class Never(metaclass=RegistersDuringLookup):
        pass

    rrule.register(f, Never)(tagged("never"))
    assert rrule(f, 1.0) is None  # the lookup that raced the registration
    assert registered
    assert chosen(f, 1.0) == "float"


def test_registering_in_threads_while_looking_up():
    def f(x):
        return x

    rrule.register(f, float)(tagged("float"))
    functions = [lambda x, i=i: x + i for i in range(40)]
    before = rrule.generation
    errors = []
    start = threading.Barrier(5)

    def register(chunk):
        start.wait()
        for g in chunk:
            rrule.register(g, float)(tagged(g))

    def look_up():
        start.wait()
        for _ in range(500):
            if chosen(f, 1.0) != "float" or chosen(f, "x") is not None:
                errors.append("wrong rule")

    threads = [threading.Thread(target=register, args=(functions[i::3],)) for i in range(3)]
    threads += [threading.Thread(target=look_up) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert rrule.generation == before + len(functions)
    assert all(chosen(g, 1.0) is g for g in functions)
