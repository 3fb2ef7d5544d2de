"""What makes the package installable and honest about itself: the
distribution's metadata (setup.cfg), what the sdist carries (MANIFEST.in),
LICENSE and CHANGELOG.rst.  (.ci/run builds the wheel and sdist and checks
them from the outside; these catch an edit that breaks them, in seconds.)"""

import configparser
import os
import re

import pytest

import trampoline

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as file:
        return file.read()


@pytest.fixture(scope="module")
def setup_cfg():
    config = configparser.ConfigParser()
    config.read(os.path.join(ROOT, "setup.cfg"), encoding="utf-8")
    return config


def test_the_distribution_is_trampoline_io_with_its_license(setup_cfg):
    metadata = setup_cfg["metadata"]
    assert metadata["name"] == "trampoline-io"      # "trampoline" is another package
    assert metadata["license"] == "MIT"
    assert metadata["license_files"].split() == ["LICENSE"]
    assert "MIT License" in read("LICENSE")


def test_the_classifiers_say_which_pythons_and_nothing_false(setup_cfg):
    classifiers = setup_cfg["metadata"]["classifiers"].strip().splitlines()
    for minor in range(8, 14):
        assert "Programming Language :: Python :: 3.%d" % minor in classifiers
    assert "Programming Language :: Python :: Implementation :: CPython" in classifiers
    assert "Programming Language :: Python :: Implementation :: PyPy" in classifiers
    assert "Typing :: Typed" in classifiers
    assert not any("AsyncIO" in line for line in classifiers)      # we are not asyncio
    assert setup_cfg["options"]["python_requires"] == ">=3.8"


def test_the_wheel_carries_py_typed_and_registers_the_plugin(setup_cfg):
    assert os.path.isfile(os.path.join(ROOT, "trampoline", "py.typed"))
    assert setup_cfg["options.package_data"]["trampoline"].split() == ["py.typed"]
    entry_points = setup_cfg["options.entry_points"]["pytest11"].split()
    assert entry_points == ["trampoline.testing", "=", "trampoline.testing"]


def test_the_sdist_carries_what_the_tests_need():
    rules = [line.split() for line in read("MANIFEST.in").splitlines()
             if line.strip() and not line.startswith("#")]
    grafted = {rule[1] for rule in rules if rule[0] == "graft"}
    assert {"trampoline", "tests", "examples", "docs", "benchmarks"} <= grafted
    included = {name for rule in rules if rule[0] == "include" for name in rule[1:]}
    assert {"LICENSE", "CHANGELOG.rst", "README.rst"} <= included


def test_the_changelog_names_this_version_first_and_is_valid_restructuredtext():
    text = read("CHANGELOG.rst")
    versions = re.findall(r"^(\d+\.\d+\.\d+) \(", text, re.M)
    assert trampoline.__version__ in versions
    assert versions == sorted(versions, key=lambda v: [int(n) for n in v.split(".")],
                              reverse=True)       # newest first
    docutils = pytest.importorskip("docutils.core")
    from docutils.writers.null import Writer    # (writer_name= goes in Docutils 2.0)
    docutils.publish_string(text, writer=Writer(),
                            settings_overrides={"halt_level": 2, "report_level": 5})
