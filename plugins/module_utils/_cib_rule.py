# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: pcs rule text <-> CIB rule XML.

Supports the part of the pcs rule language that location constraints need::

    expr     := and_expr ('or' and_expr)*
    and_expr := primary ('and' primary)*
    primary  := '(' expr ')'
              | 'defined' ATTR | 'not_defined' ATTR
              | ATTR OP [TYPE] VALUE
    OP       := lt | gt | lte | gte | eq | ne
    TYPE     := string | integer | number | version

``#uname``, ``#id`` and other ``#`` attributes are plain attributes here.
Pure functions: :func:`parse_rule` gives a tree, :func:`rule_to_xml` builds
the ``<rule>`` element, :func:`rule_xml_to_text` renders any CIB rule back to
one canonical text (used to compare rules, ignoring ids).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import xml.etree.ElementTree as ET

OPERATORS = ("lt", "gt", "lte", "gte", "eq", "ne")
TYPES = ("string", "integer", "number", "version")
_TOKEN = re.compile(r'\s*(\(|\)|"[^"]*"|[^\s()]+)')


class RuleError(ValueError):
    """The rule text is not in the supported pcs rule syntax."""


def tokenize(text):
    tokens = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise RuleError("cannot read rule %r at %r" % (text, text[pos:]))
        tok = m.group(1)
        if tok.startswith('"'):
            tok = ("str", tok[1:-1])
        tokens.append(tok)
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


def _word(tok):
    return tok[1] if isinstance(tok, tuple) else tok


def parse_rule(text):
    """Parse pcs rule text into a tree of tuples.

    ``("and"|"or", [children])``, ``("defined"|"not_defined", attr)`` or
    ``("expr", attr, op, type_or_None, value)``.
    """
    if not isinstance(text, str) or not text.strip():
        raise RuleError("empty rule")
    tokens = tokenize(text)
    pos = [0]

    def peek():
        return tokens[pos[0]] if pos[0] < len(tokens) else None

    def take():
        tok = peek()
        if tok is None:
            raise RuleError("rule %r ends too early" % text)
        pos[0] += 1
        return tok

    def parse_bool(op, sub):
        children = [sub()]
        while peek() == op:
            take()
            children.append(sub())
        return children[0] if len(children) == 1 else (op, children)

    def parse_or():
        return parse_bool("or", parse_and)

    def parse_and():
        return parse_bool("and", parse_primary)

    def parse_primary():
        tok = take()
        if tok == "(":
            node = parse_or()
            if take() != ")":
                raise RuleError("missing ')' in rule %r" % text)
            return node
        if tok in ("defined", "not_defined"):
            return (tok, _word(take()))
        if tok in (")", "and", "or") or tok in OPERATORS:
            raise RuleError("unexpected %r in rule %r" % (tok, text))
        attr = _word(tok)
        op = take()
        if op not in OPERATORS:
            if op in ("in_range", "date", "date-spec", "duration"):
                raise RuleError("date expressions are not supported in rule %r" % text)
            raise RuleError("expected one of %s after %r in rule %r, got %r"
                            % ("/".join(OPERATORS), attr, text, _word(op)))
        value = take()
        vtype = None
        if value in TYPES and peek() is not None and peek() not in (")", "and", "or"):
            vtype = value
            value = take()
        return ("expr", attr, op, vtype, _word(value))

    tree = parse_or()
    if peek() is not None:
        raise RuleError("unexpected %r in rule %r" % (_word(peek()), text))
    return tree


def rule_to_xml(tree, rule_id, score=None, role=None):
    """Build a ``<rule>`` element (ids ``<rule_id>``, ``<rule_id>-expr``...)."""
    counter = {"expr": 0, "rule": 0}

    def next_id(kind):
        n = counter[kind]
        counter[kind] += 1
        base = rule_id + ("-expr" if kind == "expr" else "-rule")
        return base if n == 0 else "%s-%d" % (base, n)

    def build(node, element):
        if node[0] in ("and", "or"):
            element.set("boolean-op", node[0])
            for child in node[1]:
                if child[0] in ("and", "or"):
                    sub = ET.SubElement(element, "rule", {"id": next_id("rule")})
                    build(child, sub)
                else:
                    build_expr(child, element)
        else:
            build_expr(node, element)

    def build_expr(node, parent):
        attrs = {"id": next_id("expr")}
        if node[0] in ("defined", "not_defined"):
            attrs.update({"attribute": node[1], "operation": node[0]})
        else:
            attrs.update({"attribute": node[1], "operation": node[2], "value": node[4]})
            if node[3]:
                attrs["type"] = node[3]
        ET.SubElement(parent, "expression", attrs)

    rule = ET.Element("rule", {"id": rule_id})
    if score is not None:
        rule.set("score", score)
    if role:
        rule.set("role", role)
    build(tree, rule)
    return rule


def _quote(value):
    if value == "" or re.search(r'[\s()"]', value) or value in OPERATORS + ("and", "or", "defined", "not_defined"):
        return '"%s"' % value
    return value


def rule_xml_to_text(rule):
    """Canonical text of a CIB ``<rule>`` (without score, role or ids)."""
    parts = []
    for child in rule:
        if child.tag == "expression":
            op = child.get("operation", "")
            attr = child.get("attribute", "")
            if op in ("defined", "not_defined"):
                parts.append("%s %s" % (op, _quote(attr)))
            else:
                vtype = child.get("type")
                # "string" is the schema default for comparisons
                text = "%s %s " % (_quote(attr), op)
                if vtype and vtype != "string":
                    text += vtype + " "
                parts.append(text + _quote(child.get("value", "")))
        elif child.tag == "rule":
            sub = rule_xml_to_text(child)
            if len([c for c in child if c.tag in ("expression", "rule", "date_expression")]) > 1:
                sub = "(%s)" % sub
            parts.append(sub)
        elif child.tag == "date_expression":
            attrs = " ".join("%s=%s" % (k, v) for k, v in sorted(child.attrib.items()) if k != "id")
            parts.append("date(%s)" % attrs)
    op = rule.get("boolean-op", "and")
    return (" %s " % op).join(parts)


def normalise_rule_text(text):
    """Canonical text of pcs rule text (parse, build, render)."""
    return rule_xml_to_text(rule_to_xml(parse_rule(text), "r"))
