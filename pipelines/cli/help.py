"""`contest … --help` in Kazakh and Russian: the edition's language when its config can be read, else
both, one after the other.

Every help text is looked up by key in sheets_schema/cli_help.yaml, never taken from the code:
- a command by its path without the program: `status`, `close-stage`, a subcommand `outbox mark-sent`;
  the program itself is `contest`;
- an option by its command's key and its longest name: `status --json`, `contest --config`;
- an argument by its command's key and its name in capitals (`close-stage STAGE`): the word shown for it;
- the words of the help screen itself by keys starting with `_` (`_usage`, `_options`, `_type_path`, …).
A new command or option needs its entries there and nothing else: tests/test_cli_help.py fails on a
command, option or argument without a kk and a ru entry, and on an entry nothing uses. Until then its
English `help=` from the code is shown, so nothing breaks.
"""

from __future__ import annotations

import os
import re
import sys
from functools import cache
from typing import Any

import click
import yaml

from pipelines.formats.tables import SCHEMA_DIR

HELP_FILE = SCHEMA_DIR / "cli_help.yaml"
LANGS = ("kk", "ru")


@cache
def table() -> dict[str, dict[str, str]]:
    """key -> {lang: text}, as written in cli_help.yaml."""
    try:
        data = yaml.safe_load(HELP_FILE.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}


def entry(key: str, lang: str, fallback: str = "", **values: Any) -> str:
    """The help text `key` in `lang` with {values} put in; `fallback` (the code's English) when missing."""
    text = (table().get(key) or {}).get(lang)
    if not isinstance(text, str) or not text.strip():
        return fallback
    try:
        return text.strip().format(**values)
    except (KeyError, IndexError, ValueError):
        return text.strip()


def command_key(ctx: click.Context) -> str:
    """`status` for `contest status`, `contest` for the program itself."""
    path = ctx.command_path.split()
    return " ".join(path[1:]) or "contest"


def option_key(command: str, option: click.Parameter) -> str:
    """`status --json`: the command's key and the option's longest name."""
    return f"{command} {max(option.opts, key=len)}"


def argument_key(command: str, argument: click.Parameter) -> str:
    return f"{command} {(argument.name or '').upper()}"


def keys(command: click.Command, key: str = "contest") -> list[str]:
    """Every key the command (and its subcommands) needs, for the test that each has kk and ru."""
    out = [key]
    for param in command.params:
        if isinstance(param, click.Option):
            out.append(option_key(key, param))
        elif isinstance(param, click.Argument):
            out.append(argument_key(key, param))
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            out += keys(sub, name if key == "contest" else f"{key} {name}")
    return out


def languages(ctx: click.Context) -> tuple[str, ...]:
    """The edition's language when its config is found and read, else both. The config is the one the
    command would use: --config (when typed before --help), CONTEST_CONFIG, or ./contest.yaml."""
    from pipelines.cli import DEFAULT_CONFIG, State
    from pipelines.config import load_config

    root = ctx.find_root()
    state = root.obj if isinstance(root.obj, State) else None
    path = state.config_path if state else root.params.get("config_path") or os.environ.get("CONTEST_CONFIG")
    path = path or DEFAULT_CONFIG
    if not os.path.isfile(path):
        return LANGS
    try:
        return (load_config(path).language,)
    except Exception:  # noqa: BLE001 - any config that cannot be read: both languages
        return LANGS


class Localized:
    """The help screen of a command or group, worded from cli_help.yaml (mixed into click's classes)."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        for n, lang in enumerate(languages(ctx)):
            if n:
                formatter.write_paragraph()
                formatter.write_text("—" * 20)
                formatter.write_paragraph()
            self.format_in(ctx, formatter, lang)

    def format_in(self, ctx: click.Context, formatter: click.HelpFormatter, lang: str) -> None:
        self.format_usage_in(ctx, formatter, lang)
        self._body_in(ctx, formatter, lang)

    def format_usage_in(self, ctx: click.Context, formatter: click.HelpFormatter, lang: str) -> None:
        """The usage line (also printed above a usage error)."""
        command: click.Command = self  # type: ignore[assignment]
        key = command_key(ctx)
        pieces = [f"[{entry('_options_metavar', lang, 'OPTIONS')}]"]
        for param in command.get_params(ctx):
            if isinstance(param, click.Argument):
                word = entry(argument_key(key, param), lang, (param.name or "").upper())
                pieces.append(word if param.required else f"[{word}]")
        if isinstance(command, click.Group):
            pieces.append(f"{entry('_command_metavar', lang, 'COMMAND')} [{entry('_args_metavar', lang, 'ARGS')}]...")
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=f"{entry('_usage', lang, 'Usage')}: ")

    def _body_in(self, ctx: click.Context, formatter: click.HelpFormatter, lang: str) -> None:
        command: click.Command = self  # type: ignore[assignment]
        key = command_key(ctx)
        text = entry(key, lang, command.help or "")
        if text:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(text)
        rows = [self._option_row(ctx, key, p, lang) for p in command.get_params(ctx) if isinstance(p, click.Option)]
        if rows:
            with formatter.section(entry("_options", lang, "Options")):
                formatter.write_dl(rows)
        if isinstance(command, click.Group):
            listed = []
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is None or sub.hidden:
                    continue
                sub_key = name if key == "contest" else f"{key} {name}"
                listed.append((name, _first_sentence(entry(sub_key, lang, sub.get_short_help_str(200)))))
            if listed:
                with formatter.section(entry("_commands", lang, "Commands")):
                    formatter.write_dl(listed)

    @staticmethod
    def _option_row(ctx: click.Context, key: str, option: click.Option, lang: str) -> tuple[str, str]:
        names = ", ".join([*option.opts, *option.secondary_opts])
        if not option.is_flag and not option.count:
            names += f" {_metavar(option, lang)}"
        if option.name == "help" or "--help" in option.opts:
            text = entry("_help_option", lang, option.help or "")
        else:
            text = entry(option_key(key, option), lang, option.help or "")
        extra = []
        if option.show_envvar and option.envvar:
            extra.append(entry("_envvar", lang, "env var: {name}", name=option.envvar))
        if option.show_default and option.default is not None and not option.is_flag:
            extra.append(entry("_default", lang, "default: {value}", value=option.default))
        return names, f"{text} [{'; '.join(extra)}]" if extra else text


def _metavar(option: click.Option, lang: str) -> str:
    kind = option.type
    if isinstance(kind, click.Choice):
        return "[" + "|".join(str(c) for c in kind.choices) + "]"
    if isinstance(kind, click.Path):
        return entry(
            "_type_folder" if not kind.file_okay else "_type_file" if not kind.dir_okay else "_type_path", lang
        )
    if isinstance(kind, (click.types.IntParamType, click.IntRange)):
        return entry("_type_number", lang, "INTEGER")
    return entry("_type_text", lang, "TEXT")


def _first_sentence(text: str) -> str:
    """A command's line in its group's list: its help's first sentence, whole (never cut mid-word)."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    for stop in (". ", "; "):
        if stop in line:
            return line.split(stop, 1)[0]
    return line.rstrip(".")


class Command(Localized, click.Command):
    pass


class Group(Localized, click.Group):
    command_class = Command

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """click's own main, but a command typed wrong (a usage error) is said in kk/ru too."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as exc:
            show_usage_error(exc)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo(entry("_aborted", "kk", "Aborted!") + " / " + entry("_aborted", "ru", "Aborted!"), err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


ERROR_MARK = "Error: "  # click's marker of a failed command, as on every other error line (README)

# click's own words for a command typed wrong (click/core.py, parser.py, types.py) -> their key here
USAGE_ERRORS = [
    (r"No such command '(?P<name>[^']*)'\.?", "_error_no_command"),
    (r"No such option:? '?(?P<name>[^'\s]+?)'?\.?(?:\s+Did you mean (?P<hint>.*?)\?)?", "_error_no_option"),
    (r"Missing argument '(?P<name>[^']*)'\.?", "_error_missing_argument"),
    (r"Missing option '(?P<name>[^']*)'\.?", "_error_missing_option"),
    (r"Option '(?P<name>[^']*)' requires an argument\.?", "_error_option_needs_value"),
    (r"Option '(?P<name>[^']*)' does not take a value\.?", "_error_option_takes_no_value"),
    (r"Got unexpected extra arguments? \((?P<name>.*)\)", "_error_extra_arguments"),
    (
        r"Invalid value for '(?P<name>[^']*)': '?(?P<value>.*?)'? is not in the range (?P<range>.*?)\.?",
        "_error_not_in_range",
    ),
    (
        r"Invalid value for '(?P<name>[^']*)': '?(?P<value>.*?)'? is not a valid integer(?: range)?\.?",
        "_error_not_integer",
    ),
    (r"Invalid value for '(?P<name>[^']*)': '?(?P<value>.*?)'? is not one of (?P<choices>.*?)\.?", "_error_not_choice"),
    (r"Invalid value for '(?P<name>[^']*)': (?P<detail>.*)", "_error_invalid_value"),
]


def usage_error_text(message: str, lang: str, ctx: click.Context | None = None) -> str:
    """click's message for a command typed wrong, in `lang` (as it is when not one of USAGE_ERRORS);
    an argument is named by its word in `lang` (КЕЗЕҢ for STAGE)."""
    for pattern, key in USAGE_ERRORS:
        found = re.fullmatch(pattern, message.strip(), flags=re.S)
        if found:
            values = {k: v or "" for k, v in found.groupdict().items()}
            arguments = [p for p in ctx.command.params if isinstance(p, click.Argument)] if ctx is not None else []
            for param in arguments:
                if ctx is not None and values.get("name", "").upper() == (param.name or "").upper():
                    values["name"] = entry(argument_key(command_key(ctx), param), lang, values["name"])
            if values.get("hint"):
                values["hint"] = entry("_error_did_you_mean", lang, "", hint=values["hint"])
            return entry(key, lang, message, **values).strip()
    return message


def show_usage_error(exc: click.UsageError) -> None:
    """What click's UsageError.show prints, in the edition's language (both before it is known):
    the usage line, where help is, and `Error: <what was wrong>`."""
    ctx = exc.ctx
    for lang in languages(ctx) if ctx is not None else LANGS:
        if ctx is not None and isinstance(ctx.command, Localized):
            formatter = ctx.make_formatter()
            ctx.command.format_usage_in(ctx, formatter, lang)
            click.echo(formatter.getvalue().rstrip("\n"), err=True)
            option = ctx.help_option_names[0] if ctx.help_option_names else "--help"
            click.echo(entry("_error_help_hint", lang, "", command=f"{ctx.command_path} {option}"), err=True)
        click.echo(ERROR_MARK + usage_error_text(exc.format_message(), lang, ctx), err=True)
