"""The files ``fastiou eval`` writes: ``--out``, ``--per-image``, ``--plot`` and the demo's
class names.

:class:`OutputFiles` checks every destination before anything is counted, by creating a
temporary file beside it (a usage error, exit 2, names the option and the path if it
cannot). The output is written into that temporary file, which replaces the destination
(:func:`os.replace`, atomic within a file system) only once the whole run has succeeded; a run
that fails or is interrupted removes its temporary files and leaves every destination as it
was. An existing FIFO or device (``--out /dev/stdout``) is written directly.
"""

import os
import secrets
import stat
from contextlib import contextmanager

from fastiou.evaluate._io import EXIT_USAGE, EvalError, os_reason

# Longest file name the temporary name keeps of its destination (names have at most 255 bytes).
NAME_KEPT = 120


def _temporary_name(name):
    """``.<stem>.<random>.tmp<ext>``: hidden, unique, and with the destination's extension
    (matplotlib picks the image format from it)."""
    stem, ext = os.path.splitext(name)
    return f".{stem[:NAME_KEPT]}.{secrets.token_hex(4)}.tmp{ext[:NAME_KEPT]}"


class OutputFiles:
    """The output files of one run, written to temporary files and renamed into place together.

    Use as a context manager: :meth:`reserve` every destination first (this is the check),
    write each one to the path it returns, then call :meth:`commit`. Leaving the block without
    committing (an error, Ctrl-C) removes the temporary files.
    """

    def __init__(self):
        self._entries = []  # (option, path as given, destination, temporary path or None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.discard()
        return False

    def reserve(self, path, option):
        """Check that `path` can receive the output of `option`; return the path to write to.

        Parameters
        ----------
        path : str
            The destination as the user gave it.
        option : str
            The command-line option it came with (``"--out"``), for the error messages.

        Returns
        -------
        str
            A new, empty temporary file in the destination's folder (or the destination itself
            when it is an existing FIFO or device).

        Raises
        ------
        EvalError
            Exit 2: the destination is a folder, its folder does not exist or cannot be
            written, or another option already writes there.
        """
        path = os.fspath(path)
        if not path:
            raise EvalError(f"{option} needs a file name, got an empty one", EXIT_USAGE)
        if os.path.isdir(path):
            raise EvalError(f"{option} {path} is a folder; give a file name", EXIT_USAGE)
        direct = os.path.exists(path) and not os.path.isfile(path)  # a FIFO or a device
        # through a symbolic link to a file, the file is replaced and the link stays
        destination = path if direct else os.path.realpath(path)
        for other_option, other_path, other_destination, _ in self._entries:
            if other_destination == destination and destination not in ("/dev/null", os.devnull):
                raise EvalError(f"{option} {path} and {other_option} {other_path} are the same "
                                f"file; give each output its own file", EXIT_USAGE)
        if direct:
            if not os.access(path, os.W_OK):
                raise EvalError(f"cannot write {option} {path}: permission denied", EXIT_USAGE)
            self._entries.append((option, path, destination, None))
            return destination
        folder = os.path.dirname(destination)
        if not os.path.isdir(folder):
            given = os.path.dirname(os.path.abspath(path))
            what = (f"{given} is a file, not a folder" if os.path.exists(folder) else
                    f"the folder {given} does not exist")
            raise EvalError(f"cannot write {option} {path}: {what}", EXIT_USAGE)
        temporary = os.path.join(folder, _temporary_name(os.path.basename(destination)))
        try:
            os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except OSError as exc:
            raise EvalError(f"cannot write {option} {path}: the folder {folder} cannot be written "
                            f"({os_reason(exc)})", EXIT_USAGE) from None
        self._entries.append((option, path, destination, temporary))
        if os.path.isfile(destination):  # the new file keeps the permissions of the old one
            try:
                os.chmod(temporary, stat.S_IMODE(os.stat(destination).st_mode))
            except OSError:
                pass
        return temporary

    @contextmanager
    def writing(self, option):
        """Turn an :class:`OSError` raised inside the block into an :class:`EvalError`
        (exit 2) naming `option` and its destination."""
        try:
            yield
        except OSError as exc:
            path = next((given for opt, given, *_ in self._entries if opt == option), "")
            raise EvalError(f"cannot write {option} {path}: {os_reason(exc)}", EXIT_USAGE) from None

    def commit(self):
        """Rename every temporary file over its destination (the run has succeeded)."""
        for option, path, destination, temporary in self._entries:
            if temporary is None:
                continue
            with self.writing(option):
                os.replace(temporary, destination)
        self._entries = [entry[:3] + (None,) for entry in self._entries]

    def discard(self):
        """Remove the temporary files not yet renamed; the destinations stay as they were."""
        for *_, temporary in self._entries:
            if temporary is not None:
                try:
                    os.remove(temporary)
                except OSError:
                    pass
        self._entries = [entry[:3] + (None,) for entry in self._entries]


def write_text(path, text, option):
    """Write `text` (UTF-8) to `path` through a temporary file (see :class:`OutputFiles`).

    Parameters
    ----------
    path : str
        Destination.
    text : str
        Content.
    option : str
        What the file is for, for the error messages (e.g. ``"--out"``).

    Examples
    --------
    >>> write_text("result.json", "{}\\n", "--out")  # doctest: +SKIP
    """
    with OutputFiles() as outputs:
        temporary = outputs.reserve(path, option)
        with outputs.writing(option), open(temporary, "w", newline="", encoding="utf-8") as fh:
            fh.write(text)
        outputs.commit()
