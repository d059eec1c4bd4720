import sys
from typing import Optional

import pytest

from rndi.dicontainer import (
    BaseServiceProvider,
    BindingFailure,
    CircularDependency,
    Container,
    ContainerError,
    DependencyBuildingFailure,
    DuplicateBinding,
    Injectable,
    InvalidBinding,
    InvalidClassType,
)
from rndi.dicontainer.adapter import Bindings, value_binding


class Engine:
    def __init__(self, power):
        self.power = power


class Car:
    def __init__(self, engine, name, color="red"):
        self.engine = engine
        self.name = name
        self.color = color


class Counter:
    def __init__(self):
        self.calls = 0


class CountingProvider(BaseServiceProvider):
    def __init__(self, counter):
        super().__init__({"power": {"to_instance": 150}})
        self.counter = counter

    def provide_engine(self, power):
        self.counter.calls += 1
        return Engine(power)


def test_injects_constructor_parameters_by_name():
    container = Container([BaseServiceProvider({"name": {"to_instance": "beetle"},
                                                "engine": {"to_class": Engine},
                                                "power": {"to_instance": 50}})])
    car = container.get(Car)
    assert (car.name, car.engine.power, car.color) == ("beetle", 50, "red")


def test_a_parameter_with_a_default_keeps_it_even_when_its_name_is_bound():
    # as the published container (pinject) does: a config key TIMEOUT="5" must not turn
    # timeout=30 into the string '5'
    class Client:
        def __init__(self, name, timeout=30, *, retries=3):
            self.values = (name, timeout, retries)

    container = Container([BaseServiceProvider({"name": {"to_instance": "x"},
                                                "timeout": {"to_instance": "5"},
                                                "retries": {"to_instance": "9"}})])
    assert container.get(Client).values == ("x", 30, 3)


def test_a_provide_method_parameter_with_a_default_keeps_it_even_when_bound():
    class Provider(BaseServiceProvider):
        def provide_engine(self, power=90):
            return Engine(power)

    container = Container([Provider({"power": {"to_instance": "500"},
                                     "name": {"to_instance": "n"}})])
    assert container.get(Car).engine.power == 90


def test_a_defaulted_parameter_is_never_built_so_its_binding_cannot_fail_the_class():
    class Provider(BaseServiceProvider):
        def provide_color(self):
            raise RuntimeError("must not be called")

    container = Container([Provider({"name": {"to_instance": "n"},
                                     "engine": {"to_instance": None}})])
    assert container.get(Car).color == "red"


def test_an_injectable_parameter_takes_its_binding_and_keeps_its_default_without_one():
    class Middleware:
        def __init__(self, criteria, on_match: Injectable[Optional[str]] = None):
            self.values = (criteria, on_match)

    bound = Container([BaseServiceProvider({"criteria": {"to_instance": []},
                                            "on_match": {"to_instance": "approve"}})])
    assert bound.get(Middleware).values == ([], "approve")
    unbound = Container([BaseServiceProvider({"criteria": {"to_instance": []}})])
    assert unbound.get(Middleware).values == ([], None)
    assert Middleware([]).values == ([], None)  # still usable without a container


def test_injectable_is_recognised_in_a_module_with_postponed_annotations():
    from tests.rndi.dicontainer.postponed import PostponedMiddleware

    container = Container([BaseServiceProvider({"on_match": {"to_instance": "approve"},
                                                "retries": {"to_instance": "9"}})])
    assert container.get(PostponedMiddleware).values == ("approve", 3)


def test_get_returns_a_new_object_every_call_but_shares_dependencies():
    counter = Counter()
    names = BaseServiceProvider({"name": {"to_instance": "a"}})
    container = Container([CountingProvider(counter), names])
    first, second = container.get(Car), container.get(Car)
    assert first is not second
    assert first.engine is second.engine
    assert counter.calls == 1


def test_dependencies_are_not_shared_across_containers():
    counter = Counter()
    names = {"name": {"to_instance": "a"}}
    one = Container([CountingProvider(counter), BaseServiceProvider(names)]).get(Car)
    two = Container([CountingProvider(counter), BaseServiceProvider(names)]).get(Car)
    assert one.engine is not two.engine
    assert counter.calls == 2


def test_to_class_binding_is_built_once_per_container():
    container = Container([BaseServiceProvider({"engine": {"to_class": Engine},
                                                "power": {"to_instance": 1},
                                                "name": {"to_instance": "n"}})])
    assert container.get(Car).engine is container.get(Car).engine


def test_to_instance_values_are_handed_as_they_are():
    marker = object()
    container = Container([BaseServiceProvider({"power": {"to_instance": marker}})])
    assert container.get(Engine).power is marker


def test_register_binds_and_replaces_the_same_name_from_binds():
    class Provider(BaseServiceProvider):
        def register(self):
            self.bind_instance("power", 99).bind_class("engine", Engine)

    container = Container([Provider({"power": {"to_instance": 1}, "name": {"to_instance": "z"}})])
    assert container.get(Car).engine.power == 99


def test_provide_method_parameters_are_injected_recursively():
    class Provider(BaseServiceProvider):
        def provide_power(self, base):
            return base * 2

        def provide_engine(self, power):
            return Engine(power)

    container = Container([Provider({"base": {"to_instance": 21}, "name": {"to_instance": "n"}})])
    assert container.get(Car).engine.power == 42


def test_none_is_injected_whether_bound_or_provided():
    # the published container refused both (pinject's allow_injecting_none=False)
    class Provider(BaseServiceProvider):
        def provide_engine(self):
            return None

    assert Container([Provider({"name": {"to_instance": None}})]).get(Car).engine is None
    assert Container([Provider({"name": {"to_instance": None}})]).get(Car).name is None


def test_keyword_only_parameters_are_injected_and_varargs_ignored():
    class Service:
        def __init__(self, *args, power, mode="fast", **kwargs):
            self.values = (args, power, mode, kwargs)

    container = Container([BaseServiceProvider({"power": {"to_instance": 3},
                                                "mode": {"to_instance": "slow"}})])
    assert container.get(Service).values == ((), 3, "fast", {})


def test_positional_only_parameters_are_injected_in_order():
    class Service:
        def __init__(self, first, second, third="three", /):
            self.values = (first, second, third)

    container = Container([BaseServiceProvider({"first": {"to_instance": 1},
                                                "second": {"to_instance": 2},
                                                "third": {"to_instance": 3}})])
    assert container.get(Service).values == (1, 2, "three")


def test_class_without_constructor_is_built():
    class Plain:
        pass

    assert isinstance(Container([]).get(Plain), Plain)


def test_type_hints_are_not_used_for_lookup():
    class Hinted:
        def __init__(self, power: Engine):
            self.power = power

    assert Container([BaseServiceProvider({"power": {"to_instance": 7}})]).get(Hinted).power == 7


def test_missing_binding_names_class_parameter_and_bound_names():
    container = Container([BaseServiceProvider({"power": {"to_instance": 1}})])
    with pytest.raises(DependencyBuildingFailure) as error:
        container.get(Car)
    message = str(error.value)
    assert "Car" in message
    assert "'engine'" in message
    assert "power" in message
    assert error.value.parameter == "engine"
    assert error.value.owner is Car
    assert "give the parameter a default" in message


def test_missing_binding_lists_each_bound_name_once():
    # 'engine' was built (so it is in the built table too) before 'name' was found missing
    container = Container([BaseServiceProvider({"engine": {"to_class": Engine},
                                                "power": {"to_instance": 1}})])
    with pytest.raises(DependencyBuildingFailure) as error:
        container.get(Car)
    assert error.value.bound == ["engine", "power"]
    assert "Bound names: engine, power." in str(error.value)


def test_missing_binding_in_provide_method_names_the_method():
    class Provider(BaseServiceProvider):
        def provide_engine(self, horsepower):
            return Engine(horsepower)

    with pytest.raises(DependencyBuildingFailure, match=r"provide_engine.*'horsepower'"):
        Container([Provider({"name": {"to_instance": "n"}})]).get(Car)


def test_get_rejects_non_classes():
    container = Container([])
    for wrong in (Car(None, "x"), "Car", 42):
        with pytest.raises(InvalidClassType, match="expects a class"):
            container.get(wrong)


def test_a_non_class_is_named_by_its_type_never_its_value():
    with pytest.raises(InvalidClassType) as error:
        Container([]).get("sk-live-secret")
    assert "sk-live-secret" not in str(error.value)
    assert "got a str" in str(error.value)


def test_duplicate_name_across_providers_names_both():
    class First(BaseServiceProvider):
        def provide_power(self):
            return 1

    with pytest.raises(DuplicateBinding) as error:
        Container([First(), BaseServiceProvider({"power": {"to_instance": 2}})])
    message = str(error.value)
    assert "'power'" in message
    assert "providers[0] (First)" in message
    assert "providers[1] (BaseServiceProvider)" in message


def test_two_instances_of_one_provider_class_are_both_honoured():
    container = Container([BaseServiceProvider({"power": {"to_instance": 5}}),
                           BaseServiceProvider({"name": {"to_instance": "n"},
                                                "engine": {"to_class": Engine}})])
    car = container.get(Car)
    assert (car.name, car.engine.power) == ("n", 5)


def test_cycle_error_shows_the_chain():
    class A:
        def __init__(self, b):
            pass

    class B:
        def __init__(self, a):
            pass

    container = Container([BaseServiceProvider({"a": {"to_class": A}, "b": {"to_class": B}})])
    with pytest.raises(CircularDependency) as error:
        container.get(A)
    assert "a -> b -> a" not in str(error.value)  # A itself is built by get(), not a binding
    assert "b -> a -> b" in str(error.value)
    assert error.value.chain == ("b", "a", "b")


def test_self_cycle_through_provide_method():
    class Provider(BaseServiceProvider):
        def provide_power(self, power):
            return power

    with pytest.raises(CircularDependency, match="power -> power"):
        Container([Provider()]).get(Engine)


def test_container_recovers_after_a_cycle_error():
    class Provider(BaseServiceProvider):
        def provide_power(self, power):
            return power

    container = Container([Provider({"name": {"to_instance": "n"}})])
    with pytest.raises(CircularDependency):
        container.get(Engine)

    class Named:
        def __init__(self, name):
            self.name = name

    assert container.get(Named).name == "n"


@pytest.mark.parametrize(
    ("binds", "fragment"),
    [
        ({"x": {"to_class": 42}}, "'to_class' needs a class"),
        ({"x": {"to_nothing": 1}}, "expected {'to_instance'"),
        ({"x": 1}, "expected {'to_instance'"),
        ({"x": {"to_instance": 1, "to_class": int}}, "expected {'to_instance'"),
        ({"not an identifier": {"to_instance": 1}}, "valid parameter name"),
    ],
)
def test_invalid_bindings_are_rejected_with_the_name(binds, fragment):
    with pytest.raises(InvalidBinding) as error:
        BaseServiceProvider(binds)
    assert fragment in str(error.value)


def test_binds_must_be_a_mapping():
    with pytest.raises(TypeError, match="expects a dict"):
        BaseServiceProvider([("x", 1)])


def test_container_rejects_a_provider_class_naming_it():
    class VendorProvider(BaseServiceProvider):
        pass

    with pytest.raises(InvalidBinding) as error:
        Container([BaseServiceProvider(), VendorProvider])
    message = str(error.value)
    assert message.startswith("providers[1] binds 'VendorProvider' wrongly")
    assert "pass VendorProvider()" in message and "ABCMeta" not in message


def test_container_rejects_what_is_not_a_provider():
    with pytest.raises(InvalidBinding, match=r"got a dict; .* subclass BaseServiceProvider"):
        Container([{"power": 150}])


def test_bound_returns_a_binding_by_name_building_it_once():
    class Provider(BaseServiceProvider):
        def provide_engine(self, power):
            return {"power": power}

    container = Container([Provider({"power": {"to_instance": 150}})])
    engine = container.bound("engine")
    assert engine == {"power": 150}
    assert container.bound("engine") is engine
    assert container.bound("power") == 150
    assert container.bound("wheels", "none bound") == "none bound"


def test_provider_without_super_init_still_binds():
    class Lazy(BaseServiceProvider):
        def __init__(self, power):
            self.power_value = power

        def register(self):
            self.bind_instance("power", self.power_value)

    assert Container([Lazy(8)]).get(Engine).power == 8


def test_every_error_derives_from_one_base():
    for error in (InvalidClassType, DependencyBuildingFailure, DuplicateBinding,
                  CircularDependency, InvalidBinding, BindingFailure):
        assert issubclass(error, ContainerError)


def test_constructor_errors_propagate_unchanged():
    class Broken:
        def __init__(self):
            raise RuntimeError("vendor down")

    with pytest.raises(RuntimeError, match="vendor down"):
        Container([]).get(Broken)


class VendorError(Exception):
    pass


class VendorProvider(BaseServiceProvider):
    def provide_vendor(self, vendor_api_key):
        raise VendorError(f"login refused for key {vendor_api_key}")


class Session:
    def __init__(self, vendor):
        self.vendor = vendor


class Checkout:
    def __init__(self, session):
        self.session = session


def test_a_binding_error_keeps_its_own_type_with_a_note_naming_the_binding_and_path():
    container = Container([VendorProvider({"vendor_api_key": {"to_instance": "s3cr3t-key"},
                                           "session": {"to_class": Session}})])
    with pytest.raises(VendorError) as error:  # the caller's own type, not a wrapper
        container.get(Checkout)
    assert str(error.value) == "login refused for key s3cr3t-key"  # untouched
    assert error.value.__notes__ == [
        "Raised while the container built 'vendor' (Checkout -> session -> vendor) with "
        "VendorProvider.provide_vendor(); fix that provider or what it needs."]
    assert not isinstance(error.value, ContainerError)


def test_the_note_never_quotes_a_configured_value():
    container = Container([VendorProvider({"vendor_api_key": {"to_instance": "s3cr3t-key"}})])
    with pytest.raises(VendorError) as error:
        container.get(Session)
    assert all("s3cr3t" not in note for note in error.value.__notes__)


def test_a_failing_bound_class_is_named_in_the_note():
    class Broken:
        def __init__(self):
            raise KeyError("region")

    container = Container([BaseServiceProvider({"vendor": {"to_class": Broken}})])
    with pytest.raises(KeyError) as error:
        container.get(Session)
    assert error.value.__notes__ == [
        "Raised while the container built 'vendor' (Session -> vendor) with class "
        "test_a_failing_bound_class_is_named_in_the_note.<locals>.Broken; fix that provider "
        "or what it needs."]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tracebacks print notes from 3.11")
def test_the_note_is_readable_where_tracebacks_print_it():
    import traceback

    container = Container([VendorProvider({"vendor_api_key": {"to_instance": "k"}})])
    with pytest.raises(VendorError) as error:
        container.get(Session)
    printed = "".join(traceback.format_exception(error.value))
    assert "Raised while the container built 'vendor' (Session -> vendor)" in printed


def test_static_and_class_provide_methods_are_called_correctly():
    class Provider(BaseServiceProvider):
        base = 10

        @staticmethod
        def provide_power(multiplier):
            return 5 * multiplier

        @classmethod
        def provide_name(cls, power):
            return f"{cls.base}-{power}"

    car = Container([Provider({"multiplier": {"to_instance": 2},
                               "engine": {"to_class": Engine}})]).get(Car)
    assert (car.engine.power, car.name) == (10, "10-10")


class FallbackProvider(BaseServiceProvider):
    fallbacks = frozenset({"greeting"})

    def provide_greeting(self, name="world"):
        return f"hello {name}"


class Greeter:
    def __init__(self, greeting):
        self.greeting = greeting


def test_a_fallback_binding_serves_when_no_other_provider_binds_the_name():
    assert Container([FallbackProvider()]).get(Greeter).greeting == "hello world"


def test_any_other_binding_of_the_name_wins_over_a_fallback():
    for other in (BaseServiceProvider({"greeting": {"to_instance": "hi"}}),
                  BaseServiceProvider({"greeting": {"to_class": str}})):
        for providers in ([FallbackProvider(), other], [other, FallbackProvider()]):
            assert Container(providers).get(Greeter).greeting in ("hi", "")


def test_two_fallbacks_of_one_name_the_first_serves():
    class Other(FallbackProvider):
        def provide_greeting(self):
            return "second"

    assert Container([FallbackProvider(), Other()]).get(Greeter).greeting == "hello world"


class BindsAndProvides(BaseServiceProvider):
    def register(self):
        self.bind_instance("vendor", "bound")

    def provide_vendor(self):
        return "provided"


def test_a_name_bound_and_provided_by_one_provider_is_a_conflict_as_published():
    with pytest.raises(DuplicateBinding, match="'vendor' is bound by both BindsAndProvides"):
        Container([BindsAndProvides()])
    class ProvidesOnly(BaseServiceProvider):
        def provide_vendor(self):
            return "provided"

    with pytest.raises(DuplicateBinding, match=r"ProvidesOnly.provide_vendor\(\)"):
        Container([ProvidesOnly({"vendor": {"to_instance": "given"}})])
    assert Container([ProvidesOnly()]).bound("vendor") == "provided"


def test_a_replaceable_method_gives_way_to_the_same_providers_binding():
    class Replaceable(BindsAndProvides):
        replaceable = frozenset({"vendor"})

    class Fallback(BindsAndProvides):
        fallbacks = frozenset({"vendor"})

    assert Container([Replaceable()]).bound("vendor") == "bound"
    assert Container([Fallback()]).bound("vendor") == "bound"


class Mixed:
    def __init__(self, engine, name, color="red", size: Injectable[int] = 1, *, tag="none"):
        self.engine, self.name, self.color, self.size, self.tag = engine, name, color, size, tag


class Leading:
    def __init__(self, engine, name, color="red", *rest, tag="none", **more):
        self.engine, self.name, self.color, self.tag = engine, name, color, tag
        self.rest, self.more = rest, more


def test_a_class_built_from_values_built_already_gets_the_same_as_one_built_on_the_way():
    everything = {"engine": {"to_instance": "V8"}, "name": {"to_instance": "car"},
                  "color": {"to_instance": "blue"}, "size": {"to_instance": 3},
                  "tag": {"to_instance": "tagged"}}
    container = Container([BaseServiceProvider(everything)])
    for _ in range(2):  # the class's way of being built is remembered after the first
        mixed, leading = container.get(Mixed), container.get(Leading)
        assert vars(mixed) == {"engine": "V8", "name": "car", "color": "red", "size": 3,
                               "tag": "none"}
        assert (leading.engine, leading.name, leading.color, leading.tag) == (
            "V8", "car", "red", "none")
        assert (leading.rest, leading.more) == ((), {})


def test_a_lazy_parameter_is_built_first_then_the_class_from_what_is_built():
    counter = Counter()
    container = Container([CountingProvider(counter),
                           BaseServiceProvider({"name": {"to_instance": "car"}})])
    first, second = container.get(Car), container.get(Car)
    assert first.engine is second.engine and counter.calls == 1
    assert (second.name, second.color) == ("car", "red")


def test_a_missing_parameter_is_named_whichever_way_the_class_is_built():
    container = Container([BaseServiceProvider({"engine": {"to_instance": "V8"}})])
    for _ in range(2):
        with pytest.raises(DependencyBuildingFailure, match="'name'"):
            container.get(Car)


def test_the_fallbacks_a_binding_replaces_are_worked_out_for_each_container():
    base = Bindings([FallbackProvider()])
    for greeting in ("hi", None, "hey", None):
        given = [BaseServiceProvider({"greeting": {"to_instance": greeting}})] if greeting else []
        container = Container.extending(base, given)
        assert container.get(Greeter).greeting == (greeting or "hello world")


def test_a_value_binding_is_read_when_first_asked_for_then_kept():
    reads = []

    def read(instances):
        reads.append(instances["source"]["key"])
        return instances["source"]["key"]

    container = Container.of({"source": {"key": "value"}}, {"vendor": value_binding(read)})
    assert reads == []  # nothing read before it is needed
    assert container.get(Session).vendor == "value"
    assert container.get(Session).vendor == "value" and container.bound("vendor") == "value"
    assert reads == ["value"]


def test_a_failing_value_binding_is_named_by_its_reader_in_the_note():
    def read(instances):
        raise LookupError("gone")

    read.__qualname__ = "source['key']"
    container = Container.of({}, {"vendor": value_binding(read)})
    with pytest.raises(LookupError) as error:
        container.get(Session)
    assert error.value.__notes__ == [
        "Raised while the container built 'vendor' (Session -> vendor) with "
        "source['key']; fix that provider or what it needs."]


def test_build_answers_a_new_instance_as_get_does():
    container = Container.of({"vendor": "v"}, {})
    built, got = container.build(Session), container.get(Session)
    assert type(built) is Session and built is not got and built.vendor == got.vendor == "v"


def test_dependency_building_failure_can_be_raised_by_hand_with_a_message_of_its_own():
    error = DependencyBuildingFailure("the cache is not configured")
    assert str(error) == "the cache is not configured"
    assert (error.owner, error.parameter, error.bound) == (None, None, [])
    assert str(DependencyBuildingFailure()) == ""
    with pytest.raises(DependencyBuildingFailure, match="not configured"):
        raise error


def test_a_container_of_none_has_no_providers_as_published():
    container = Container(None)
    assert container.bound("anything", "nothing") == "nothing"
    with pytest.raises(DependencyBuildingFailure, match="'vendor'"):
        container.get(_NeedsVendor)


class _NeedsVendor:
    def __init__(self, vendor):
        self.vendor = vendor
