# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every role's meta/argument_specs.yml matches its defaults.

For each roles/<name>/ with defaults/main.yml, the options of the `main`
entry point must be exactly the keys of defaults/main.yml, and those of any
other entry point E (run with tasks_from: E, defaults_from: E) exactly the
keys of defaults/E.yml (a required option needs no default), or, without
that file, all required; every option
(and suboption) needs a description and a valid type; a default written in
both places must be the same value; and public variables carry the role
prefix.
The checks are plain functions so the tests at the end can prove each one
fails on a deliberately broken role.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

ROLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'roles')

# The types ansible.module_utils.common.arg_spec accepts.
VALID_TYPES = frozenset(('str', 'list', 'dict', 'bool', 'int', 'float', 'path', 'raw',
                         'jsonarg', 'json', 'bytes', 'bits'))


class _TolerantLoader(yaml.SafeLoader):
    """SafeLoader that reads tagged values (!vault, !unsafe) as plain data."""


def _construct_tagged(loader, tag_suffix, node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)


_TolerantLoader.add_multi_constructor('!', _construct_tagged)


def load_yaml(path):
    with open(path) as stream:
        return yaml.load(stream, Loader=_TolerantLoader)  # nosec B506 - SafeLoader subclass


def roles_with_defaults(roles_dir=ROLES_DIR):
    """Names of the roles under roles_dir that have a defaults/main.yml."""
    if not os.path.isdir(roles_dir):
        return []
    return sorted(name for name in os.listdir(roles_dir)
                  if os.path.isfile(os.path.join(roles_dir, name, 'defaults', 'main.yml')))


def _load_defaults(path):
    defaults = load_yaml(path)
    if defaults is None:
        defaults = {}
    assert isinstance(defaults, dict), '%s: expected a mapping of variables' % path
    return defaults


def load_role(role_dir):
    """Return [(entry point, defaults file name or None, defaults dict, options dict)] of a role.

    main comes first and pairs with defaults/main.yml; another entry point E
    pairs with defaults/E.yml when that file exists. Raises AssertionError
    with a message naming the file when a file is missing or has the wrong
    shape.
    """
    specs_path = os.path.join(role_dir, 'meta', 'argument_specs.yml')
    assert os.path.isfile(specs_path), '%s: missing (the role has defaults/main.yml)' % specs_path
    specs = load_yaml(specs_path) or {}
    entry_points = specs.get('argument_specs') if isinstance(specs, dict) else None
    assert isinstance(entry_points, dict) and isinstance(entry_points.get('main'), dict), \
        '%s: no argument_specs.main entry point' % specs_path
    result = []
    for name in ['main'] + sorted(key for key in entry_points if key != 'main'):
        entry = entry_points[name]
        assert isinstance(entry, dict), '%s: argument_specs.%s must be a mapping' % (specs_path, name)
        options = entry.get('options') or {}
        assert isinstance(options, dict), '%s: argument_specs.%s.options must be a mapping' % (specs_path, name)
        defaults_name = '%s.yml' % name
        defaults_path = os.path.join(role_dir, 'defaults', defaults_name)
        if os.path.isfile(defaults_path):
            result.append((name, defaults_name, _load_defaults(defaults_path), options))
        else:
            result.append((name, None, {}, options))
    return result


def key_drift(defaults, options, defaults_name='main.yml'):
    """Messages for keys in one file but not the other (a required option needs no default)."""
    problems = []
    for key in sorted(set(defaults) - set(options)):
        problems.append('%s: in defaults/%s but not in meta/argument_specs.yml' % (key, defaults_name))
    for key in sorted(set(options) - set(defaults)):
        if isinstance(options[key], dict) and options[key].get('required'):
            continue
        problems.append('%s: in meta/argument_specs.yml but not in defaults/%s' % (key, defaults_name))
    return problems


def unrequired_without_defaults(entry_point, options):
    """Messages for options of an entry point without a defaults file that are not required."""
    return ['%s: option of entry point %s is not required and there is no defaults/%s.yml'
            % (name, entry_point, entry_point)
            for name, spec in sorted(options.items())
            if not (isinstance(spec, dict) and spec.get('required'))]


def option_doc_problems(options, prefix=''):
    """Messages for options (and suboptions) without a description or a valid type."""
    problems = []
    for name, spec in sorted(options.items()):
        path = prefix + name
        if not isinstance(spec, dict):
            problems.append('%s: option spec must be a mapping' % path)
            continue
        description = spec.get('description')
        if isinstance(description, list):
            description = ' '.join(str(line) for line in description)
        if not description or not str(description).strip():
            problems.append('%s: no description' % path)
        option_type = spec.get('type')
        if option_type is None:
            problems.append('%s: no type' % path)
        elif option_type not in VALID_TYPES:
            problems.append('%s: type %r is not one of %s' % (path, option_type, ', '.join(sorted(VALID_TYPES))))
        if option_type == 'list' and spec.get('elements') is not None and spec['elements'] not in VALID_TYPES:
            problems.append('%s: elements %r is not a valid type' % (path, spec['elements']))
        suboptions = spec.get('options')
        if suboptions is not None:
            if not isinstance(suboptions, dict):
                problems.append('%s: options must be a mapping' % path)
            else:
                problems.extend(option_doc_problems(suboptions, prefix=path + '.'))
    return problems


def default_value_drift(defaults, options, defaults_name='main.yml'):
    """Messages for options whose spec default differs from the defaults file."""
    problems = []
    for name in sorted(set(defaults) & set(options)):
        spec = options[name]
        if isinstance(spec, dict) and 'default' in spec and spec['default'] != defaults[name]:
            problems.append('%s: default %r in meta/argument_specs.yml, %r in defaults/%s'
                            % (name, spec['default'], defaults[name], defaults_name))
    return problems


def prefix_problems(role_name, names):
    """Messages for public variables without the role prefix."""
    prefix = role_name.lstrip('_') + '_'
    return ['%s: public variables of role %s must start with %r' % (key, role_name, prefix)
            for key in sorted(names) if not str(key).startswith(prefix)]


def role_problems(role_dir):
    """Every problem of one role, as messages."""
    role_name = os.path.basename(os.path.normpath(role_dir))
    problems = []
    for entry_point, defaults_name, defaults, options in load_role(role_dir):
        if defaults_name is None:
            problems.extend(unrequired_without_defaults(entry_point, options))
        else:
            problems.extend(key_drift(defaults, options, defaults_name))
            problems.extend(default_value_drift(defaults, options, defaults_name))
        problems.extend(option_doc_problems(options))
        problems.extend(prefix_problems(role_name, sorted(set(defaults) | set(options))))
    return problems


@pytest.mark.parametrize('role', roles_with_defaults())
def test_role_argument_specs_match_defaults(role):
    problems = role_problems(os.path.join(ROLES_DIR, role))
    assert not problems, 'roles/%s:\n  %s' % (role, '\n  '.join(problems))


# --- the checks themselves, on throw-away roles ------------------------------

def make_role(tmp_path, name, defaults, specs):
    role_dir = tmp_path / 'roles' / name
    (role_dir / 'defaults').mkdir(parents=True)
    (role_dir / 'defaults' / 'main.yml').write_text(defaults)
    if specs is not None:
        (role_dir / 'meta').mkdir()
        (role_dir / 'meta' / 'argument_specs.yml').write_text(specs)
    return str(role_dir)


GOOD_DEFAULTS = """---
demo_port: 2224
demo_nodes: []
demo_secret: !vault |
  $ANSIBLE_VAULT;1.1;AES256
  6162
"""

GOOD_SPECS = """---
argument_specs:
  main:
    short_description: Demo
    options:
      demo_port:
        description: Port.
        type: int
        default: 2224
      demo_nodes:
        description: [Nodes, one per item.]
        type: list
        elements: dict
        options:
          name:
            description: Node name.
            type: str
      demo_secret:
        description: A vaulted secret.
        type: str
"""


def test_in_sync_role_has_no_problems(tmp_path):
    role_dir = make_role(tmp_path, 'demo', GOOD_DEFAULTS, GOOD_SPECS)
    assert role_problems(role_dir) == []
    assert roles_with_defaults(str(tmp_path / 'roles')) == ['demo']


def test_key_only_in_defaults_is_reported(tmp_path):
    role_dir = make_role(tmp_path, 'demo', GOOD_DEFAULTS + 'demo_extra: 1\n', GOOD_SPECS)
    assert role_problems(role_dir) == [
        'demo_extra: in defaults/main.yml but not in meta/argument_specs.yml']


def test_key_only_in_specs_is_reported(tmp_path):
    specs = GOOD_SPECS + "      demo_missing:\n        description: Gone.\n        type: str\n"
    role_dir = make_role(tmp_path, 'demo', GOOD_DEFAULTS, specs)
    assert role_problems(role_dir) == [
        'demo_missing: in meta/argument_specs.yml but not in defaults/main.yml']


def test_missing_description_and_type_are_reported(tmp_path):
    specs = GOOD_SPECS.replace('        description: Port.\n        type: int\n', '')
    specs = specs.replace('            type: str\n', '            type: string\n')
    role_dir = make_role(tmp_path, 'demo', GOOD_DEFAULTS, specs)
    assert role_problems(role_dir) == [
        'demo_nodes.name: type %r is not one of %s' % ('string', ', '.join(sorted(VALID_TYPES))),
        'demo_port: no description',
        'demo_port: no type',
    ]


def test_different_default_is_reported(tmp_path):
    role_dir = make_role(tmp_path, 'demo', GOOD_DEFAULTS.replace('2224', '2225'), GOOD_SPECS)
    assert role_problems(role_dir) == [
        'demo_port: default 2224 in meta/argument_specs.yml, 2225 in defaults/main.yml']


def test_unprefixed_variable_is_reported(tmp_path):
    defaults = GOOD_DEFAULTS.replace('demo_port', 'port')
    specs = GOOD_SPECS.replace('demo_port', 'port')
    role_dir = make_role(tmp_path, 'demo', defaults, specs)
    assert role_problems(role_dir) == [
        "port: public variables of role demo must start with 'demo_'"]


def test_missing_argument_specs_fails(tmp_path):
    role_dir = make_role(tmp_path, 'demo', GOOD_DEFAULTS, None)
    with pytest.raises(AssertionError, match='argument_specs.yml: missing'):
        role_problems(role_dir)


def test_missing_main_entry_point_fails(tmp_path):
    role_dir = make_role(tmp_path, 'demo', GOOD_DEFAULTS, GOOD_SPECS.replace('  main:', '  other:'))
    with pytest.raises(AssertionError, match='no argument_specs.main entry point'):
        role_problems(role_dir)


DRAIN_SPECS = """
  drain:
    short_description: Drain
    options:
      demo_host:
        description: Host.
        type: str
        required: true
      demo_state:
        description: State.
        type: str
        default: drain
"""


def test_other_entry_point_matches_its_own_defaults_file(tmp_path):
    role_dir = make_role(tmp_path, 'demo', GOOD_DEFAULTS, GOOD_SPECS + DRAIN_SPECS)
    (tmp_path / 'roles' / 'demo' / 'defaults' / 'drain.yml').write_text('demo_state: drain\n')
    assert role_problems(role_dir) == []
    (tmp_path / 'roles' / 'demo' / 'defaults' / 'drain.yml').write_text('demo_wait: true\ndemo_state: maint\n')
    assert role_problems(role_dir) == [
        'demo_wait: in defaults/drain.yml but not in meta/argument_specs.yml',
        "demo_state: default 'drain' in meta/argument_specs.yml, 'maint' in defaults/drain.yml",
    ]


def test_other_entry_point_without_defaults_file_needs_required_options(tmp_path):
    role_dir = make_role(tmp_path, 'demo', GOOD_DEFAULTS, GOOD_SPECS + DRAIN_SPECS.replace('demo_host:', 'host:'))
    assert role_problems(role_dir) == [
        'demo_state: option of entry point drain is not required and there is no defaults/drain.yml',
        "host: public variables of role demo must start with 'demo_'",
    ]
