"""views.*: modals (open, push, update) and App Home tabs (publish), and the triggers they need.

Each person has a modal stack of at most three views. A view is refused as Slack refuses it:
a trigger_id that is unknown, used or older than ``trigger_ttl``; a view over Block Kit's limits
(bot.slack.blockkit); a stale ``hash``. What Slack does with a view_submission ack (close, update,
push, field errors) is applied when the sender reports it (:meth:`ViewMethods.record_view_ack`).
"""

from __future__ import annotations

import copy
import secrets
import time
from typing import Any

from bot.slack.blockkit import view_problems
from bot.standin.web_api.model import SlackApiFailure, Trigger, ViewEvent, real_monotonic
from bot.standin.web_api.state import Workspace
from bot.standin.web_api.wire import required, with_ids

MODAL_STACK_MAX = 3
# Whose view a trigger_id the stand-in never issued opens, when triggers are not strict.
UNKNOWN_TRIGGER_USER = "U0UNKNOWN"


class ViewMethods(Workspace):
    """views.open, views.push, views.update, views.publish, and view_submission acks."""

    def new_trigger(self, user_id: str, *, view_id: str | None = None) -> str:
        """Issue a single-use trigger_id for ``user_id`` that expires after ``trigger_ttl`` s."""
        with self._lock:
            trigger_id = f"{next(self._ids)}.{self.team_id[1:]}.{secrets.token_hex(12)}"
            self._triggers[trigger_id] = Trigger(user_id, real_monotonic(), view_id)
            return trigger_id

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger = self._trigger(args.get("trigger_id"))
        view = self._view_arg(args, "modal", "views.open")
        trigger.used = True
        view_id = self._new_view_id()
        shaped = self._shape_view(view, view_id, view_id, None)
        self._stacks[trigger.user] = []
        self._store_view(shaped, trigger.user)
        self._stacks[trigger.user].append(view_id)
        self._view_log.append(ViewEvent("open", trigger.user, copy.deepcopy(shaped)))
        return {"view": shaped}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger = self._trigger(args.get("trigger_id"))
        view = self._view_arg(args, "modal", "views.push")
        if len(self._stacks.get(trigger.user, [])) >= MODAL_STACK_MAX:
            raise SlackApiFailure("push_limit_reached")
        trigger.used = True
        return {"view": self._push_view(trigger.user, view)}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id")
        external_id = args.get("external_id")
        if not view_id and not external_id:
            raise SlackApiFailure(
                "invalid_arguments", messages=["[ERROR] either view_id or external_id is required"]
            )
        if not view_id:
            view_id = self._external_ids.get(str(external_id))
        current = self._views.get(str(view_id)) if view_id else None
        owner = self._view_owner.get(str(view_id))
        if current is None or owner is None or not self._is_showing(owner, str(view_id)):
            raise SlackApiFailure("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackApiFailure("hash_conflict")
        view = self._view_arg(args, current["type"], "views.update")
        return {"view": self._replace_view(current, view, owner)}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user = required(args, "user_id")
        self._person(user, for_dm=False)
        view = self._view_arg(args, "home", "views.publish")
        current_id = self._homes.get(user)
        if current_id and args.get("hash") and args["hash"] != self._views[current_id]["hash"]:
            raise SlackApiFailure("hash_conflict")
        view_id = current_id or self._new_view_id()
        shaped = self._shape_view(view, view_id, None, None)
        self._store_view(shaped, user)
        self._homes[user] = view_id
        self._view_log.append(ViewEvent("publish", user, copy.deepcopy(shaped)))
        return {"view": shaped}

    # -- what Slack does with a view_submission ack or a closed modal -------------------------

    def record_view_ack(self, *, user_id: str, view_id: str, answer: dict[str, Any] | None) -> None:
        """Apply a view_submission ack to the person's modal stack as Slack does."""
        answer = answer or {}
        action = answer.get("response_action")
        with self._lock:
            stack = self._stacks.get(user_id, [])
            if action == "clear":
                self._stacks[user_id] = []
            elif action == "update":
                self._ack_update(user_id, view_id, answer.get("view"))
            elif action == "push":
                self._ack_push(user_id, answer.get("view"))
            elif action == "errors":
                self._ack_errors(view_id, answer.get("errors"))
            elif action is None:
                if view_id in stack:
                    self._stacks[user_id] = stack[: stack.index(view_id)]
            else:
                self._violations("view_submission ack", [f"unknown response_action {action!r}"])
            self._changed.notify_all()

    def record_view_closed(self, *, user_id: str, view_id: str) -> None:
        """The person closed a modal: back to the previous view, or all closed if clear_on_close."""
        with self._lock:
            stack = self._stacks.get(user_id, [])
            if view_id in stack:
                closes_all = bool(self._views[view_id].get("clear_on_close"))
                self._stacks[user_id] = [] if closes_all else stack[: stack.index(view_id)]
            self._changed.notify_all()

    def _ack_update(self, user_id: str, view_id: str, view: Any) -> None:
        if not isinstance(view, dict):
            self._violations("view_submission ack", ["response_action update needs a view"])
            return
        if problems := view_problems(view):
            self._violations("view_submission ack (update)", problems)
            return
        current = self._views.get(view_id)
        if current is not None:
            self._replace_view(current, view, user_id)

    def _ack_push(self, user_id: str, view: Any) -> None:
        if not isinstance(view, dict):
            self._violations("view_submission ack", ["response_action push needs a view"])
            return
        if problems := view_problems(view):
            self._violations("view_submission ack (push)", problems)
            return
        stack = self._stacks.setdefault(user_id, [])
        if len(stack) >= MODAL_STACK_MAX:
            self._violations("view_submission ack (push)", ["push_limit_reached"])
            return
        self._push_view(user_id, view)

    def _ack_errors(self, view_id: str, errors: Any) -> None:
        if not isinstance(errors, dict) or not errors:
            self._violations(
                "view_submission ack", ["response_action errors needs a non-empty dict"]
            )
            return
        view = self._views.get(view_id, {})
        inputs = {b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"}
        unknown = sorted(set(errors) - inputs)
        if unknown:
            self._violations(
                "view_submission ack",
                [f"errors name block_ids that are no input of the view: {unknown}"],
            )

    # -- shared by the methods and the acks --------------------------------------------------

    def _push_view(self, user: str, view: dict[str, Any]) -> dict[str, Any]:
        """Put a view on top of the person's modal stack (a new stack when none is open)."""
        stack = self._stacks.setdefault(user, [])
        view_id = self._new_view_id()
        root = stack[0] if stack else view_id
        shaped = self._shape_view(view, view_id, root, stack[-1] if stack else None)
        self._store_view(shaped, user)
        stack.append(view_id)
        self._view_log.append(ViewEvent("push", user, copy.deepcopy(shaped)))
        return shaped

    def _replace_view(
        self, current: dict[str, Any], view: dict[str, Any], owner: str
    ) -> dict[str, Any]:
        """Show ``view`` in place of ``current``: same id and place in the stack, a new hash."""
        shaped = self._shape_view(
            view, current["id"], current["root_view_id"], current["previous_view_id"]
        )
        self._store_view(shaped, owner)
        self._view_log.append(ViewEvent("update", owner, copy.deepcopy(shaped)))
        return shaped

    def _view_arg(self, args: dict[str, Any], kind: str, method: str) -> dict[str, Any]:
        """The ``view`` argument, refused unless it is a valid view of the expected type."""
        view = args.get("view")
        if not isinstance(view, dict):
            raise SlackApiFailure("invalid_arguments", messages=["[ERROR] view is required"])
        if view.get("type") != kind:
            raise SlackApiFailure(
                "invalid_arguments",
                messages=[f"[ERROR] {method} needs a view of type {kind!r}"],
            )
        if problems := view_problems(view):
            self._violations(method, problems)
            raise SlackApiFailure("invalid_blocks", messages=problems)
        return view

    def _trigger(self, trigger_id: Any) -> Trigger:
        """The trigger behind a trigger_id, if it may still be used (not yet marked used)."""
        trigger = self._triggers.get(str(trigger_id)) if trigger_id else None
        if trigger_id and not self.strict_triggers:
            # A fresh trigger each time, so that being used or old never refuses it.
            if trigger is None:
                return Trigger(UNKNOWN_TRIGGER_USER, real_monotonic(), None)
            return Trigger(trigger.user, real_monotonic(), trigger.view_id)
        if trigger is None:
            raise SlackApiFailure("invalid_trigger_id")
        if trigger.used:
            raise SlackApiFailure("exchanged_trigger_id")
        ttl = self.trigger_ttl
        if ttl is not None and real_monotonic() - trigger.issued > ttl:
            raise SlackApiFailure("expired_trigger_id")
        return trigger

    def _new_view_id(self) -> str:
        return f"V{next(self._ids):08d}"

    def _shape_view(
        self, view: dict[str, Any], view_id: str, root: str | None, previous: str | None
    ) -> dict[str, Any]:
        """The view as Slack returns it: ids, hash, empty state, block ids filled in."""
        return {
            "id": view_id,
            "team_id": self.team_id,
            "type": view["type"],
            "title": copy.deepcopy(view.get("title")),
            "submit": copy.deepcopy(view.get("submit")),
            "close": copy.deepcopy(view.get("close")),
            "blocks": with_ids(view.get("blocks") or []),
            "private_metadata": view.get("private_metadata") or "",
            "callback_id": view.get("callback_id") or "",
            "external_id": view.get("external_id") or "",
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": root,
            "previous_view_id": previous,
            "app_id": self.app_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }

    def _store_view(self, shaped: dict[str, Any], owner: str) -> None:
        self._views[shaped["id"]] = shaped
        self._view_owner[shaped["id"]] = owner
        if shaped["external_id"]:
            self._external_ids[shaped["external_id"]] = shaped["id"]

    def _is_showing(self, user: str, view_id: str) -> bool:
        return view_id in self._stacks.get(user, []) or self._homes.get(user) == view_id
