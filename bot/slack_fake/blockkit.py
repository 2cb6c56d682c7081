"""Block Kit validation with Slack's own limits and error wording.

Slack answers a bad block with `invalid_blocks` and a `response_metadata.messages` list of
lines like "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]".
We produce the same lines so the app's error handling and logs meet the real thing.
Limits come from the Block Kit reference (docs.slack.dev/reference/block-kit/...).
"""

from __future__ import annotations

from typing import Any, Literal

Surface = Literal["message", "modal", "home"]

# "You can include up to 50 blocks in each message, and 100 blocks in modals or Home tabs."
MAX_BLOCKS: dict[str, int] = {"message": 50, "modal": 100, "home": 100}
MAX_BLOCK_ID = 255
MAX_ACTION_ID = 255
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_SECTION_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_URL = 3000
MAX_ACTIONS_ELEMENTS = 25
MAX_CONTEXT_ELEMENTS = 10
MAX_MARKDOWN_TEXT = 12000
MAX_INPUT_LABEL = 2000
MAX_ALT_TEXT = 2000
MAX_PLACEHOLDER = 150
# plain_text_input: "min_length ... between 0 and 3000", "max_length ... between 1 and 3000,
# inclusive" (docs.slack.dev/reference/block-kit/block-elements/plain-text-input-element).
MAX_TEXT_INPUT_LENGTH = 3000
# View-level limits (docs.slack.dev/reference/views).
MAX_VIEW_TITLE = 24
MAX_CALLBACK_ID = 255
MAX_PRIVATE_METADATA = 3000
MAX_EXTERNAL_ID = 255

TEXT_TYPES = ("plain_text", "mrkdwn")
BLOCK_TYPES = (
    "section",
    "header",
    "context",
    "actions",
    "divider",
    "image",
    "input",
    "markdown",
    "rich_text",
    "file",
    "video",
)


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, problem: str, pointer: str) -> None:
        self.errors.append(f"[ERROR] {problem} [json-pointer:{pointer}]")

    def string(self, value: Any, pointer: str, max_len: int, *, min_len: int = 0) -> None:
        if not isinstance(value, str):
            self.error("must be a string", pointer)
        elif len(value) > max_len:
            self.error(f"must be less than {max_len + 1} characters", pointer)
        elif len(value) < min_len:
            self.error(f"must be more than {min_len - 1} characters", pointer)

    def integer(self, value: Any, pointer: str, low: int, high: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            self.error("must be an integer", pointer)
        elif value > high:
            self.error(f"must be less than or equal to {high}", pointer)
        elif value < low:
            self.error(f"must be greater than or equal to {low}", pointer)

    def text_object(
        self,
        obj: Any,
        pointer: str,
        max_len: int,
        *,
        plain_only: bool = False,
    ) -> None:
        if not isinstance(obj, dict):
            self.error("must provide an object", pointer)
            return
        kind = obj.get("type")
        if kind is None:
            self.error("missing required field: type", pointer)
        elif plain_only and kind != "plain_text":
            self.error("must be a valid enum value", f"{pointer}/type")
        elif kind not in TEXT_TYPES:
            self.error("must be a valid enum value", f"{pointer}/type")
        if "text" not in obj:
            self.error("missing required field: text", pointer)
        else:
            self.string(obj["text"], f"{pointer}/text", max_len, min_len=1)

    def optional_id(self, obj: dict[str, Any], key: str, pointer: str, max_len: int) -> None:
        if key in obj:
            self.string(obj[key], f"{pointer}/{key}", max_len, min_len=1)

    def element(self, el: Any, pointer: str) -> None:
        if not isinstance(el, dict):
            self.error("must provide an object", pointer)
            return
        kind = el.get("type")
        if kind is None:
            self.error("missing required field: type", pointer)
            return
        self.optional_id(el, "action_id", pointer, MAX_ACTION_ID)
        if kind == "button":
            if "text" not in el:
                self.error("missing required field: text", pointer)
            else:
                self.text_object(el["text"], f"{pointer}/text", MAX_BUTTON_TEXT, plain_only=True)
            if "value" in el:
                self.string(el["value"], f"{pointer}/value", MAX_BUTTON_VALUE)
            if "url" in el:
                self.string(el["url"], f"{pointer}/url", MAX_URL, min_len=1)
            if "style" in el and el["style"] not in ("primary", "danger"):
                self.error("must be a valid enum value", f"{pointer}/style")
        else:
            if kind == "plain_text_input":
                for key, low in (("min_length", 0), ("max_length", 1)):
                    if key in el:
                        self.integer(el[key], f"{pointer}/{key}", low, MAX_TEXT_INPUT_LENGTH)
            if "placeholder" in el:
                self.text_object(el["placeholder"], f"{pointer}/placeholder", MAX_PLACEHOLDER)

    def block(self, block: Any, pointer: str, surface: Surface) -> None:
        if not isinstance(block, dict):
            self.error("must provide an object", pointer)
            return
        kind = block.get("type")
        if kind is None:
            self.error("missing required field: type", pointer)
            return
        if kind not in BLOCK_TYPES:
            self.error(f"unsupported type: {kind}", f"{pointer}/type")
            return
        self.optional_id(block, "block_id", pointer, MAX_BLOCK_ID)
        check = getattr(self, f"block_{kind}", None)
        if check is not None:
            check(block, pointer, surface)

    def block_section(self, block: dict[str, Any], pointer: str, surface: Surface) -> None:
        if "text" not in block and "fields" not in block:
            self.error("missing required field: text", pointer)
        if "text" in block:
            self.text_object(block["text"], f"{pointer}/text", MAX_SECTION_TEXT)
        if "fields" in block:
            fields = block["fields"]
            if not isinstance(fields, list):
                self.error("must provide an array", f"{pointer}/fields")
            else:
                if len(fields) > MAX_SECTION_FIELDS:
                    self.error(
                        f"no more than {MAX_SECTION_FIELDS} items allowed", f"{pointer}/fields"
                    )
                for i, field in enumerate(fields):
                    self.text_object(field, f"{pointer}/fields/{i}", MAX_SECTION_FIELD_TEXT)
        if "accessory" in block:
            self.element(block["accessory"], f"{pointer}/accessory")

    def block_header(self, block: dict[str, Any], pointer: str, surface: Surface) -> None:
        if "text" not in block:
            self.error("missing required field: text", pointer)
        else:
            self.text_object(block["text"], f"{pointer}/text", MAX_HEADER_TEXT, plain_only=True)

    def block_context(self, block: dict[str, Any], pointer: str, surface: Surface) -> None:
        elements = self._elements(block, pointer, MAX_CONTEXT_ELEMENTS)
        for i, el in enumerate(elements):
            el_pointer = f"{pointer}/elements/{i}"
            if isinstance(el, dict) and el.get("type") == "image":
                self._image_fields(el, el_pointer)
            else:
                self.text_object(el, el_pointer, MAX_SECTION_TEXT)

    def block_actions(self, block: dict[str, Any], pointer: str, surface: Surface) -> None:
        for i, el in enumerate(self._elements(block, pointer, MAX_ACTIONS_ELEMENTS)):
            self.element(el, f"{pointer}/elements/{i}")

    def block_image(self, block: dict[str, Any], pointer: str, surface: Surface) -> None:
        self._image_fields(block, pointer)
        if "title" in block:
            self.text_object(block["title"], f"{pointer}/title", MAX_HEADER_TEXT * 4)

    def block_input(self, block: dict[str, Any], pointer: str, surface: Surface) -> None:
        if "label" not in block:
            self.error("missing required field: label", pointer)
        else:
            self.text_object(block["label"], f"{pointer}/label", MAX_INPUT_LABEL, plain_only=True)
        if "element" not in block:
            self.error("missing required field: element", pointer)
        else:
            self.element(block["element"], f"{pointer}/element")

    def block_markdown(self, block: dict[str, Any], pointer: str, surface: Surface) -> None:
        if "text" not in block:
            self.error("missing required field: text", pointer)
        else:
            self.string(block["text"], f"{pointer}/text", MAX_MARKDOWN_TEXT, min_len=1)

    def block_rich_text(self, block: dict[str, Any], pointer: str, surface: Surface) -> None:
        if "elements" not in block:
            self.error("missing required field: elements", pointer)

    def _elements(self, block: dict[str, Any], pointer: str, max_items: int) -> list[Any]:
        if "elements" not in block:
            self.error("missing required field: elements", pointer)
            return []
        elements = block["elements"]
        if not isinstance(elements, list):
            self.error("must provide an array", f"{pointer}/elements")
            return []
        if not elements:
            self.error("must provide at least 1 items", f"{pointer}/elements")
        if len(elements) > max_items:
            self.error(f"no more than {max_items} items allowed", f"{pointer}/elements")
        return elements

    def _image_fields(self, obj: dict[str, Any], pointer: str) -> None:
        if "image_url" not in obj and "slack_file" not in obj:
            self.error("missing required field: image_url", pointer)
        elif "image_url" in obj:
            self.string(obj["image_url"], f"{pointer}/image_url", MAX_URL, min_len=1)
        if "alt_text" not in obj:
            self.error("missing required field: alt_text", pointer)
        else:
            self.string(obj["alt_text"], f"{pointer}/alt_text", MAX_ALT_TEXT, min_len=1)


def validate_blocks(blocks: Any, *, surface: Surface = "message", pointer: str = "") -> list[str]:
    """Slack-style error lines for `blocks`; empty when Slack would accept them.

    Args:
        blocks: the decoded `blocks` value (a list of block objects).
        surface: where they go; modals and Home tabs allow 100 blocks, messages 50.
        pointer: JSON-pointer prefix (e.g. "/view" for a view's blocks).
    """
    checker = _Checker()
    path = f"{pointer}/blocks"
    if not isinstance(blocks, list):
        checker.error("must provide an array", path)
        return checker.errors
    limit = MAX_BLOCKS[surface]
    if len(blocks) > limit:
        checker.error(f"no more than {limit} items allowed", path)
    seen_block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        checker.block(block, f"{path}/{i}", surface)
        _check_unique_ids(checker, block, f"{path}/{i}", seen_block_ids)
    return checker.errors


def _check_unique_ids(
    checker: _Checker, block: Any, pointer: str, seen_block_ids: set[str]
) -> None:
    # "block_id should be unique for each message"; "action_id should be unique among all
    # other action_ids in the containing block" (Block Kit reference). Slack refuses both.
    if not isinstance(block, dict):
        return
    block_id = block.get("block_id")
    if isinstance(block_id, str):
        if block_id in seen_block_ids:
            checker.error(f"duplicate block_id: {block_id}", f"{pointer}/block_id")
        seen_block_ids.add(block_id)
    elements = block.get("elements") if block.get("type") == "actions" else None
    if not isinstance(elements, list):
        return
    seen_actions: set[str] = set()
    for j, el in enumerate(elements):
        action_id = el.get("action_id") if isinstance(el, dict) else None
        if isinstance(action_id, str):
            if action_id in seen_actions:
                checker.error(
                    f"duplicate action_id: {action_id}", f"{pointer}/elements/{j}/action_id"
                )
            seen_actions.add(action_id)


def validate_view(view: Any) -> list[str]:
    """Slack-style error lines for a modal or Home tab view object (`invalid_arguments`)."""
    checker = _Checker()
    if not isinstance(view, dict):
        checker.error("must provide an object", "/view")
        return checker.errors
    kind = view.get("type")
    if kind not in ("modal", "home"):
        checker.error("must be a valid enum value", "/view/type")
        return checker.errors
    if kind == "modal":
        if "title" not in view:
            checker.error("missing required field: title", "/view")
        else:
            checker.text_object(view["title"], "/view/title", MAX_VIEW_TITLE, plain_only=True)
        for key in ("submit", "close"):
            if key in view:
                checker.text_object(view[key], f"/view/{key}", MAX_VIEW_TITLE, plain_only=True)
        blocks = view.get("blocks")
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and "submit" not in view:
            checker.error("missing required field: submit", "/view")
    if "blocks" not in view:
        checker.error("missing required field: blocks", "/view")
    else:
        checker.errors.extend(validate_blocks(view["blocks"], surface=kind, pointer="/view"))
    checker.optional_id(view, "callback_id", "/view", MAX_CALLBACK_ID)
    checker.optional_id(view, "external_id", "/view", MAX_EXTERNAL_ID)
    if "private_metadata" in view:
        checker.string(view["private_metadata"], "/view/private_metadata", MAX_PRIVATE_METADATA)
    return checker.errors


def action_ids(blocks: Any) -> dict[str, dict[str, Any]]:
    """Every interactive element in `blocks` by action_id, with the block_id it sits in."""
    found: dict[str, dict[str, Any]] = {}
    if not isinstance(blocks, list):
        return found
    for block in blocks:
        if not isinstance(block, dict):
            continue
        candidates: list[Any] = []
        if block.get("type") == "actions":
            candidates = list(block.get("elements") or [])
        elif block.get("type") == "section" and "accessory" in block:
            candidates = [block["accessory"]]
        for el in candidates:
            if isinstance(el, dict) and isinstance(el.get("action_id"), str):
                found[el["action_id"]] = {"element": el, "block_id": block.get("block_id")}
    return found
