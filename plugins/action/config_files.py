# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action of hastorage.cluster.config_files: templates and role files become contents on the controller.

Each ``files`` item with ``template`` is rendered the way
``ansible.builtin.template`` renders (the role's ``templates/`` search path,
the task's variables, ``ansible_managed``, ``trim_blocks``, trailing newline
kept); an item with ``src`` is read from the role's ``files/``. Then the
module runs once on the node with every content.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import pwd
import time

from ansible import constants as C
from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

try:  # ansible-core 2.19+: a template's text must be marked trusted to be rendered
    from ansible.template import trust_as_template
except ImportError:  # pragma: no cover - ansible-core 2.18
    trust_as_template = None

MODULE = "hastorage.cluster.config_files"


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        files = args.get("files") or []
        if not isinstance(files, list):
            raise AnsibleActionFail("files must be a list, got %s" % type(files).__name__)
        module_files = []
        for item in files:
            if not isinstance(item, dict) or not item.get("path"):
                raise AnsibleActionFail("files: every item needs a path, got %r" % (item,))
            sources = [k for k in ("content", "template", "src") if item.get(k) is not None]
            if len(sources) != 1:
                raise AnsibleActionFail("files[%s]: give exactly one of content, template and src (got %s)"
                                        % (item["path"], ", ".join(sources) or "none"))
            if item.get("vars") is not None and (sources != ["template"] or not isinstance(item["vars"], dict)):
                raise AnsibleActionFail("files[%s]: vars is a dictionary for a template" % item["path"])
            out = dict((k, v) for k, v in item.items() if k not in ("template", "src", "vars"))
            if sources == ["template"]:
                out["content"] = self._render(item["template"], item["path"], dict(task_vars, **(item.get("vars") or {})))
            elif sources == ["src"]:
                out["content"] = self._read_file(item["src"], item["path"])
            module_files.append(out)
        args["files"] = module_files
        result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars))
        return result

    def _find(self, kind, name, dest):
        try:
            return self._find_needle(kind, name)
        except AnsibleError as e:
            raise AnsibleActionFail("files[%s]: %s" % (dest, to_text(e)))

    def _read_file(self, name, dest):
        path = self._find(kind="files", name=name, dest=dest)
        return self._text(path, dest)

    def _text(self, path, dest):
        """The file's text (decrypted when vaulted, as the builtin actions read role files)."""
        try:
            if hasattr(self._loader, "get_text_file_contents"):
                return to_text(self._loader.get_text_file_contents(path))
            with open(self._loader.get_real_file(path), "rb") as handle:  # pragma: no cover - ansible-core 2.18
                return handle.read().decode("utf-8")
        except UnicodeDecodeError:
            raise AnsibleActionFail("files[%s]: %s is not UTF-8 text" % (dest, path))

    def _render(self, name, dest, task_vars):
        source = self._find(kind="templates", name=name, dest=dest)
        text = self._text(source, dest)
        searchpath = list(task_vars.get("ansible_search_path", [])) + [self._loader._basedir, os.path.dirname(source)]
        paths = []
        for path in searchpath:
            paths.extend([os.path.join(path, "templates"), path])
        variables = dict(task_vars)
        variables.update(template_variables(name, source, dest, "ansible_managed" not in task_vars))
        templar = self._templar.copy_with_new_env(searchpath=paths, available_variables=variables)
        overrides = dict(trim_blocks=True, lstrip_blocks=False, newline_sequence="\n")
        if trust_as_template is not None:
            rendered = templar.template(trust_as_template(text), escape_backslashes=False, overrides=overrides)
        else:  # pragma: no cover - ansible-core 2.18
            rendered = templar.do_template(text, preserve_trailing_newlines=True, escape_backslashes=False,
                                           overrides=overrides)
        return to_text(rendered if rendered is not None else "")


def template_variables(name, source, dest, with_managed):
    """The variables ``ansible.builtin.template`` adds (``template_*`` and, unless the play sets it,
    ``ansible_managed`` from the DEFAULT_MANAGED_STR setting), inlined as ansible-core asks collections to."""
    st = os.stat(source)
    try:
        uid = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        uid = st.st_uid
    out = {"template_host": os.uname()[1], "template_path": name, "template_fullpath": source,
           "template_destpath": dest, "template_uid": uid}
    if with_managed:
        managed = C.config.get_config_value("DEFAULT_MANAGED_STR").format(
            host="{{ template_host }}", uid="{{ template_uid }}", file="{{ template_path }}")
        managed = time.strftime(managed, time.localtime(st.st_mtime))
        out["ansible_managed"] = trust_as_template(managed) if trust_as_template is not None else managed
    return out
