"""files.*: the external upload flow (get an upload URL, post the bytes, complete the upload).

The upload URL is the stand-in's own ``/upload/<file id>``; a file is shared, and recorded as
an :class:`~bot.standin.web_api.model.UploadedFile`, only once its bytes have arrived.
"""

from __future__ import annotations

from typing import Any

from bot.standin.web_api.model import PendingFile, SlackApiFailure, UploadedFile
from bot.standin.web_api.state import Workspace
from bot.standin.web_api.wire import required, str_or_none


class FileMethods(Workspace):
    """files.getUploadURLExternal, the upload URL, files.completeUploadExternal."""

    def _files_get_upload_url_external(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = required(args, "filename")
        try:
            length = int(required(args, "length"))
        except ValueError:
            raise SlackApiFailure("invalid_arguments") from None
        file_id = f"F{next(self._ids):08d}"
        self._pending_files[file_id] = PendingFile(filename, length)
        return {"upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _handle_upload(self, file_id: str, body: bytes) -> tuple[int, str]:
        """Take the bytes posted to an upload URL."""
        with self._lock:
            pending = self._pending_files.get(file_id)
            if pending is None:
                return 404, "file not found"
            pending.content = body
            self._changed.notify_all()
        return 200, f"OK - {len(body)}"

    def _files_complete_upload_external(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files")
        if not isinstance(files, list) or not files:
            raise SlackApiFailure("invalid_arguments", messages=["[ERROR] files is required"])
        channel = None
        if args.get("channel_id"):
            channel = self._post_channel(args["channel_id"])
        # Check every file before sharing any, so that a refused call shares none.
        pending = []
        for item in files:
            file_id = item.get("id") if isinstance(item, dict) else None
            found = self._pending_files.get(str(file_id))
            if found is None or found.content is None:
                raise SlackApiFailure("file_not_found")
            pending.append((str(file_id), item, found))
        shared = [self._share(*ready, channel, args) for ready in pending]
        return {"files": shared}

    def _share(
        self,
        file_id: str,
        item: dict[str, Any],
        found: PendingFile,
        channel: str | None,
        args: dict[str, Any],
    ) -> dict[str, Any]:
        """Record an uploaded file as shared; the file as Slack describes it."""
        del self._pending_files[file_id]
        title = item.get("title") or found.filename
        self._files.append(
            UploadedFile(
                file_id,
                found.filename,
                title,
                found.content or b"",
                channel,
                str_or_none(args.get("initial_comment")),
                str_or_none(args.get("thread_ts")),
                self._next_ts() if channel else None,
            )
        )
        return {
            "id": file_id,
            "name": found.filename,
            "title": title,
            "size": len(found.content or b""),
            "channels": [channel] if channel else [],
            "permalink": f"https://{self.team_domain}.slack.com/files/{file_id}",
        }
