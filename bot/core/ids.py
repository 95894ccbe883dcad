"""Every callback_id, block_id and action_id, in one place: builders and listeners share them."""

from __future__ import annotations

# Slash commands (the manifest and the listeners both read these).
TENSION_COMMAND = "/tension"
FEEDBACK_COMMAND = "/feedback"
CHECKIN_COMMAND = "/checkin"
TACTICAL_COMMAND = "/tactical"
RETRO_COMMAND = "/retro"

# Message shortcut.
RAISE_TENSION_SHORTCUT = "raise_tension"

# The tension modal: its block ids are named after the fields they carry, so a domain error
# about the field "text" lands on the block TENSION_BLOCKS["text"].
TENSION_MODAL = "tension_modal"
TENSION_TEXT_BLOCK = "tension_text"
TENSION_TEXT_ACTION = "tension_text_input"
TENSION_AREA_BLOCK = "tension_area"
TENSION_AREA_ACTION = "tension_area_input"
TENSION_TEAM_BLOCK = "tension_team"
TENSION_TEAM_ACTION = "tension_team_select"
TENSION_PRIVATE_BLOCK = "tension_private"
TENSION_PRIVATE_ACTION = "tension_private_choice"
TENSION_PRIVATE_VALUE = "private"
# The tension modal's choice of one of the team's roles (value "<team id>:<role id>", bot/roles).
TENSION_ROLE_BLOCK = "tension_role"
TENSION_ROLE_ACTION = "tension_role_select"
TENSION_BLOCKS = {
    "text": TENSION_TEXT_BLOCK,
    "area": TENSION_AREA_BLOCK,
    "team": TENSION_TEAM_BLOCK,
    "private": TENSION_PRIVATE_BLOCK,
    "role": TENSION_ROLE_BLOCK,
}

# App Home.
HOME_RAISE_TENSION = "home_raise_tension"

# Peer feedback: the give modal. Block ids are named after the fields they carry, so a domain
# error about the field "text" lands on FEEDBACK_BLOCKS["text"].
FEEDBACK_MODAL = "feedback_modal"
FEEDBACK_RECEIVERS_BLOCK = "feedback_receivers"
FEEDBACK_RECEIVERS_ACTION = "feedback_receivers_select"
FEEDBACK_KIND_BLOCK = "feedback_kind"
FEEDBACK_KIND_ACTION = "feedback_kind_choice"
FEEDBACK_VALUES_BLOCK = "feedback_values"
FEEDBACK_VALUES_ACTION = "feedback_values_choice"
FEEDBACK_TEXT_BLOCK = "feedback_text"
FEEDBACK_TEXT_ACTION = "feedback_text_input"
FEEDBACK_SHARE_BLOCK = "feedback_share"
FEEDBACK_SHARE_ACTION = "feedback_share_choice"
FEEDBACK_SHARE_VALUE = "shared"
FEEDBACK_ANONYMOUS_BLOCK = "feedback_anonymous"
FEEDBACK_ANONYMOUS_ACTION = "feedback_anonymous_choice"
FEEDBACK_ANONYMOUS_VALUE = "anonymous"
FEEDBACK_BLOCKS = {
    "receivers": FEEDBACK_RECEIVERS_BLOCK,
    "kind": FEEDBACK_KIND_BLOCK,
    "values": FEEDBACK_VALUES_BLOCK,
    "text": FEEDBACK_TEXT_BLOCK,
    "shared": FEEDBACK_SHARE_BLOCK,
    "anonymous": FEEDBACK_ANONYMOUS_BLOCK,
}
# Asking for feedback.
FEEDBACK_REQUEST_MODAL = "feedback_request_modal"
FEEDBACK_ASKED_BLOCK = "feedback_asked"
FEEDBACK_ASKED_ACTION = "feedback_asked_select"
FEEDBACK_ABOUT_BLOCK = "feedback_about"
FEEDBACK_ABOUT_ACTION = "feedback_about_input"
FEEDBACK_DUE_BLOCK = "feedback_due"
FEEDBACK_DUE_ACTION = "feedback_due_date"
FEEDBACK_REQUEST_BLOCKS = {
    "recipients": FEEDBACK_ASKED_BLOCK,
    "about": FEEDBACK_ABOUT_BLOCK,
    "due_date": FEEDBACK_DUE_BLOCK,
}
# Replying privately to feedback received.
FEEDBACK_REPLY_MODAL = "feedback_reply_modal"
FEEDBACK_REPLY_BLOCK = "feedback_reply"
FEEDBACK_REPLY_ACTION = "feedback_reply_input"
FEEDBACK_REPLY_BLOCKS = {"reply": FEEDBACK_REPLY_BLOCK}
# Buttons on feedback DMs (their value is the feedback's or the request's id).
FEEDBACK_THANKS = "feedback_thanks"
FEEDBACK_OPEN_REPLY = "feedback_open_reply"
FEEDBACK_ANSWER_REQUEST = "feedback_answer_request"
# The App Home's feedback section.
HOME_GIVE_FEEDBACK = "home_give_feedback"
HOME_ASK_FEEDBACK = "home_ask_feedback"
HOME_FEEDBACK_PREVIOUS = "home_feedback_previous"
HOME_FEEDBACK_NEXT = "home_feedback_next"

# The tactical-meeting agenda and triage. The Triage button's value is "<tension id>:<round id>";
# the other buttons' values are the tension's id.
AGENDA_TRIAGE = "agenda_triage"
TRIAGE_MODAL = "triage_modal"
TRIAGE_OUTCOME_BLOCK = "triage_outcome"
TRIAGE_OUTCOME_ACTION = "triage_outcome_choice"
TRIAGE_OWNER_BLOCK = "triage_owner"
TRIAGE_OWNER_ACTION = "triage_owner_select"
TRIAGE_DUE_BLOCK = "triage_due"
TRIAGE_DUE_ACTION = "triage_due_date"
TRIAGE_NOTE_BLOCK = "triage_note"
TRIAGE_NOTE_ACTION = "triage_note_input"
TRIAGE_BLOCKS = {
    "outcome": TRIAGE_OUTCOME_BLOCK,
    "owner": TRIAGE_OWNER_BLOCK,
    "due_date": TRIAGE_DUE_BLOCK,
    "note": TRIAGE_NOTE_BLOCK,
}
# The raiser's "did you get what you need?" and the owner's "Done" (DM and App Home).
NEEDS_MET_YES = "needs_met_yes"
NEEDS_MET_NO = "needs_met_no"
ACTION_DONE = "action_done"
# Editing and withdrawing one's own open tension from the App Home.
HOME_EDIT_TENSION = "home_edit_tension"
HOME_WITHDRAW_TENSION = "home_withdraw_tension"
TENSION_EDIT_MODAL = "tension_edit_modal"
TENSION_WITHDRAW_MODAL = "tension_withdraw_modal"
NOTICE_MODAL = "notice_modal"

# Check-ins. The DM's and App Home's buttons carry the round's id as their value.
CHECKIN_OPEN = "checkin_open"
CHECKIN_SKIP = "checkin_skip"
CHECKIN_AWAY = "checkin_away"
CHECKIN_BACK = "checkin_back"
CHECKIN_MODAL = "checkin_modal"
CHECKIN_NOTICE_MODAL = "checkin_notice_modal"
CHECKIN_MOOD_BLOCK = "checkin_mood"
CHECKIN_MOOD_ACTION = "checkin_mood_choice"
CHECKIN_NOTE_BLOCK = "checkin_note"
CHECKIN_NOTE_ACTION = "checkin_note_input"
CHECKIN_CHECKLIST_BLOCK = "checkin_checklist"  # one block per ten items: checkin_checklist_0...
CHECKIN_CHECKLIST_ACTION = "checkin_checklist_choice"
CHECKIN_METRIC_BLOCK = "checkin_metric"  # one block per metric: checkin_metric_<metric id>
CHECKIN_METRIC_ACTION = "checkin_metric_input"
CHECKIN_DONE_BLOCK = "checkin_done"  # one block per ten actions: checkin_done_0...
CHECKIN_DONE_ACTION = "checkin_done_choice"
CHECKIN_PROGRESS_BLOCK = "checkin_progress"
CHECKIN_PROGRESS_ACTION = "checkin_progress_input"
CHECKIN_STORY_BLOCK = "checkin_story"
CHECKIN_STORY_ACTION = "checkin_story_input"
CHECKIN_QUESTION_BLOCK = "checkin_question"  # one block per team question: checkin_question_<n>
CHECKIN_QUESTION_ACTION = "checkin_question_input"
CHECKIN_TENSION_BLOCK = "checkin_tension"
CHECKIN_TENSION_ACTION = "checkin_tension_input"
CHECKIN_SHARE_BLOCK = "checkin_share"
CHECKIN_SHARE_ACTION = "checkin_share_choice"
CHECKIN_SHARE_VALUE = "shared"
# The organisation report (issue 20): a second option of CHECKIN_SHARE_BLOCK, off unless
# ticked: the story may be shared beyond the team.
CHECKIN_STORY_BEYOND_VALUE = "story_beyond_team"
CHECKIN_BLOCKS = {
    "mood": CHECKIN_MOOD_BLOCK,
    "note": CHECKIN_NOTE_BLOCK,
    "progress": CHECKIN_PROGRESS_BLOCK,
    "story": CHECKIN_STORY_BLOCK,
    "tension": CHECKIN_TENSION_BLOCK,
}
# Saying one is away: a small modal with a date picker.
AWAY_MODAL = "away_modal"
AWAY_DATE_BLOCK = "away_until"
AWAY_DATE_ACTION = "away_until_date"
AWAY_BLOCKS = {"until": AWAY_DATE_BLOCK}


def numbered_block(prefix: str, key: object) -> str:
    """The block id of one of several like blocks: ``checkin_metric_visits``, ``checkin_done_1``."""
    return f"{prefix}_{key}"


def checkin_field_block(field: str) -> str:
    """The check-in modal's block for a field named by a domain error (``metric:visits`` ...)."""
    kind, _, key = field.partition(":")
    if kind == "metric":
        return numbered_block(CHECKIN_METRIC_BLOCK, key)
    if kind == "question":
        return numbered_block(CHECKIN_QUESTION_BLOCK, key)
    return CHECKIN_BLOCKS[field]


# --- Roles (bot/roles) -------------------------------------------------------------------------
ROLES_COMMAND = "/roles"
# Message metadata of a rotation's announcement in the team channel, to find it after a crash.
ROLE_TURNS_METADATA = "retrobot_role_turns"


# --- Deciding (bot/decisions): proposals, advice, the objection round, the decision log. ------
PROPOSE_COMMAND = "/propose"
DECISIONS_COMMAND = "/decisions"
MAKE_PROPOSAL_SHORTCUT = "make_proposal"
# The proposal modal. Block ids are named after the fields they carry, so a domain error about
# the field "text" lands on PROPOSAL_BLOCKS["text"].
PROPOSAL_MODAL = "proposal_modal"
PROPOSAL_TEXT_BLOCK = "proposal_text"
PROPOSAL_TEXT_ACTION = "proposal_text_input"
PROPOSAL_WHY_BLOCK = "proposal_why"
PROPOSAL_WHY_ACTION = "proposal_why_input"
PROPOSAL_TEAM_BLOCK = "proposal_team"
PROPOSAL_TEAM_ACTION = "proposal_team_select"
PROPOSAL_METHOD_BLOCK = "proposal_method"
PROPOSAL_METHOD_ACTION = "proposal_method_choice"
PROPOSAL_PEOPLE_BLOCK = "proposal_people"
PROPOSAL_PEOPLE_ACTION = "proposal_people_select"
PROPOSAL_TEAMS_BLOCK = "proposal_teams"
PROPOSAL_TEAMS_ACTION = "proposal_teams_select"
PROPOSAL_ROLES_BLOCK = "proposal_roles"
PROPOSAL_ROLES_ACTION = "proposal_roles_select"
PROPOSAL_DECIDE_BY_BLOCK = "proposal_decide_by"
PROPOSAL_DECIDE_BY_ACTION = "proposal_decide_by_date"
PROPOSAL_VALUES_BLOCK = "proposal_values"
PROPOSAL_VALUES_ACTION = "proposal_values_choice"
PROPOSAL_REVIEW_BLOCK = "proposal_review"
PROPOSAL_REVIEW_ACTION = "proposal_review_date"
PROPOSAL_NOTE_BLOCK = "proposal_note"  # the Amend modal: what changed
PROPOSAL_NOTE_ACTION = "proposal_note_input"
# "This proposal changes a role": choosing what it does (it dispatches an action, which shows
# only the fields that kind of change needs); the fields' block ids share ROLE_CHANGE_PREFIX.
PROPOSAL_ROLE_KIND_BLOCK = "proposal_role_kind"
PROPOSAL_ROLE_KIND_ACTION = "proposal_role_kind_select"
ROLE_CHANGE_PREFIX = "proposal_role_change_"
ROLE_CHANGE_ROLE_BLOCK = "proposal_role_change_role"
ROLE_CHANGE_ROLE_ACTION = "proposal_role_change_role_select"
ROLE_CHANGE_NAME_BLOCK = "proposal_role_change_name"
ROLE_CHANGE_NAME_ACTION = "proposal_role_change_name_input"
ROLE_CHANGE_PURPOSE_BLOCK = "proposal_role_change_purpose"
ROLE_CHANGE_PURPOSE_ACTION = "proposal_role_change_purpose_input"
ROLE_CHANGE_DUTIES_BLOCK = "proposal_role_change_accountabilities"
ROLE_CHANGE_DUTIES_ACTION = "proposal_role_change_accountabilities_input"
ROLE_CHANGE_EXPERTISE_BLOCK = "proposal_role_change_expertise"
ROLE_CHANGE_EXPERTISE_ACTION = "proposal_role_change_expertise_input"
ROLE_CHANGE_HOLDERS_BLOCK = "proposal_role_change_holders"
ROLE_CHANGE_HOLDERS_ACTION = "proposal_role_change_holders_select"
ROLE_CHANGE_ROTATION_BLOCK = "proposal_role_change_rotation"
ROLE_CHANGE_ROTATION_ACTION = "proposal_role_change_rotation_select"
PROPOSAL_BLOCKS = {
    "text": PROPOSAL_TEXT_BLOCK,
    "why": PROPOSAL_WHY_BLOCK,
    "team": PROPOSAL_TEAM_BLOCK,
    "method": PROPOSAL_METHOD_BLOCK,
    "people": PROPOSAL_PEOPLE_BLOCK,
    "teams": PROPOSAL_TEAMS_BLOCK,
    "roles": PROPOSAL_ROLES_BLOCK,
    "decide_by": PROPOSAL_DECIDE_BY_BLOCK,
    "values": PROPOSAL_VALUES_BLOCK,
    "review_date": PROPOSAL_REVIEW_BLOCK,
    "note": PROPOSAL_NOTE_BLOCK,
    "role_kind": PROPOSAL_ROLE_KIND_BLOCK,
    "role_role": ROLE_CHANGE_ROLE_BLOCK,
    "role_name": ROLE_CHANGE_NAME_BLOCK,
    "role_purpose": ROLE_CHANGE_PURPOSE_BLOCK,
    "role_accountabilities": ROLE_CHANGE_DUTIES_BLOCK,
    "role_expertise": ROLE_CHANGE_EXPERTISE_BLOCK,
    "role_holders": ROLE_CHANGE_HOLDERS_BLOCK,
    "role_rotation": ROLE_CHANGE_ROTATION_BLOCK,
}
AMEND_MODAL = "proposal_amend_modal"
DECIDE_MODAL = "proposal_decide_modal"
DECIDE_TEXT_BLOCK = "decide_text"
DECIDE_TEXT_ACTION = "decide_text_input"
DECIDE_SHAPED_BLOCK = "decide_shaped"
DECIDE_SHAPED_ACTION = "decide_shaped_input"
DECIDE_BLOCKS = {
    "text": DECIDE_TEXT_BLOCK,
    "shaped_by": DECIDE_SHAPED_BLOCK,
    "review_date": PROPOSAL_REVIEW_BLOCK,
}
ADVICE_MODAL = "advice_modal"
ADVICE_TEXT_BLOCK = "advice_text"
ADVICE_TEXT_ACTION = "advice_text_input"
ADVICE_BLOCKS = {"text": ADVICE_TEXT_BLOCK}
OBJECTION_MODAL = "objection_modal"  # a concern's or an objection's reason
OBJECTION_REASON_BLOCK = "objection_reason"
OBJECTION_REASON_ACTION = "objection_reason_input"
OBJECTION_BLOCKS = {"reason": OBJECTION_REASON_BLOCK}
# Buttons. Each carries "<proposal id>:<version>", so a click on an older version is told so.
PROPOSAL_AMEND = "proposal_amend"
PROPOSAL_DECIDE = "proposal_decide"
PROPOSAL_WITHDRAW = "proposal_withdraw"
ADVICE_GIVE = "advice_give"
ADVICE_NONE = "advice_none"
ROUND_NO_OBJECTION = "round_no_objection"
ROUND_CONCERN = "round_concern"
ROUND_OBJECT = "round_object"
OBJECTION_INTEGRATED = "objection_integrated"
OBJECTION_WITHDRAW = "objection_withdraw"
# On the owner's DM of a tension triaged as a proposal (its value is the tension's id).
DRAFT_PROPOSAL = "draft_proposal"
# The App Home's "Make a proposal".
HOME_PROPOSE = "home_propose"
# --- Retrospective and team health (issue 18) -------------------------------------------------
# Reflect (channel message, DM, reminder, App Home) and Vote (the channel message, the vote
# reminder, the App Home) carry the retrospective's id; Vote on a reflection in the thread
# carries the reflection's id.
RETRO_REFLECT = "retro_reflect"
RETRO_OPEN_VOTE = "retro_open_vote"
RETRO_VOTE = "retro_vote"
RETRO_REFLECT_MODAL = "retro_reflect_modal"
RETRO_VOTE_MODAL = "retro_vote_modal"
RETRO_NOTICE_MODAL = "retro_notice_modal"
RETRO_WENT_WELL_BLOCK = "retro_went_well"
RETRO_BETTER_BLOCK = "retro_could_be_better"
RETRO_IDEA_BLOCK = "retro_idea"
RETRO_TEXT_ACTION = "retro_text_input"
RETRO_HEALTH_BLOCK = "retro_health"  # one block per question: retro_health_0, retro_health_1...
RETRO_HEALTH_ACTION = "retro_health_choice"
RETRO_VOTES_BLOCK = "retro_votes"
RETRO_VOTES_ACTION = "retro_votes_choice"
# The Reflect modal's fields by the names its domain errors use ("health:<n>" is numbered).
RETRO_BLOCKS = {
    "went_well": RETRO_WENT_WELL_BLOCK,
    "could_be_better": RETRO_BETTER_BLOCK,
    "idea": RETRO_IDEA_BLOCK,
    "votes": RETRO_VOTES_BLOCK,
}


def retro_field_block(field: str) -> str:
    """The Reflect or Vote modal's block for a field named by a domain error."""
    kind, _, key = field.partition(":")
    if kind == "health":
        return numbered_block(RETRO_HEALTH_BLOCK, key)
    return RETRO_BLOCKS[field]


# Shifts and do-not-disturb (bot/shifts): the App Home's buttons and the working-pattern modal.
# Block ids are named after the fields they carry, so a check of the field "days" lands on
# PATTERN_BLOCKS["days"].
HOME_SET_PATTERN = "home_set_pattern"
HOME_CLEAR_PATTERN = "home_clear_pattern"
PATTERN_MODAL = "working_pattern_modal"
PATTERN_KIND_BLOCK = "pattern_kind"
PATTERN_KIND_ACTION = "pattern_kind_choice"
PATTERN_DAYS_BLOCK = "pattern_days"
PATTERN_DAYS_ACTION = "pattern_days_choice"
PATTERN_STARTS_BLOCK = "pattern_starts"
PATTERN_STARTS_ACTION = "pattern_starts_time"
PATTERN_ENDS_BLOCK = "pattern_ends"
PATTERN_ENDS_ACTION = "pattern_ends_time"
PATTERN_BLOCKS = {
    "kind": PATTERN_KIND_BLOCK,
    "days": PATTERN_DAYS_BLOCK,
    "starts": PATTERN_STARTS_BLOCK,
    "ends": PATTERN_ENDS_BLOCK,
}
