"""pyx12 4.0.0 made about twice as fast without changing a single answer it gives.

Validating an 835 against its implementation guide is nearly all of an 835 ingest's time, and pyx12 spends
it re-parsing its XML maps for every file, re-parsing reference designators and re-formatting loop paths for
every segment, and scanning lists where an index would do. Each patch below caches a pure function or
rewrites one loop without changing its order or its results; tests/ingest/test_x12_speed.py validates the
sample 835s and mutated copies (bad dates and codes, missing elements, control characters, wrong order and
counts, unknown segments) with and without the patches, in two interpreters, and requires the same JSON
reports and return values.

Why patch pyx12 rather than use another library: it is the one that validates against the implementation
guide and reads every valid sample. linuxforhealth-x12 rejected 13 of the 15 valid sample 835s and needs
pydantic<2; badx12 does not import on Python 3.10+; x12-edi-tools assumes fixed delimiters instead of
reading them from the ISA segment. The patches are applied only to the pinned version (requirements.txt):
any other pyx12 runs unpatched, slower and with the same answers.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

PINNED = "4.0.0"
ELEMENT_ANSWERS_KEPT = 4096  # per element of the map: codes and qualifiers repeat, ids and amounts mostly do not
_applied = False


def _cache_maps() -> None:
    import pyx12.map_if
    import pyx12.map_index

    # Caches each parsed XML map per process (pyx12 re-parses it per file); equal because walking state lives in the walker, never in a map.
    parse_map = pyx12.map_if.load_map_file
    maps: dict[tuple[str, str | None, tuple[tuple[str, str], ...]], Any] = {}

    def load_map_file(map_file: str, param: Any, map_path: str | None = None) -> Any:
        key = (map_file, map_path, tuple(sorted((k, str(v)) for k, v in param.params.items())))
        if key not in maps:
            maps[key] = parse_map(map_file, param, map_path)
        return maps[key]

    pyx12.map_if.load_map_file = load_map_file
    # Caches the index of maps (which map serves which GS08) per map folder; equal because it is only looked up.
    pyx12.map_index.map_index = functools.cache(pyx12.map_index.map_index)


def _check_control_characters_by_regex() -> None:
    import pyx12.validation

    # Rewrites 23 substring scans as one regex search; equal because only a value holding one goes on to the original, which names it.
    contains = pyx12.validation.contains_control_character
    control = re.compile(r"[\x01-\x07\x09-\x0d\x11-\x17\x1c-\x1f]")

    def contains_control_character(str_val: str, charset: str = "B", icvn: str = "00401") -> tuple[bool, str | None]:
        return (False, None) if control.search(str_val) is None else contains(str_val, charset, icvn)

    pyx12.validation.contains_control_character = contains_control_character


def _cache_reference_designators() -> None:
    import pyx12.segment

    # Caches the parse of a reference designator ('CLP01', '03-2'); equal because it reads only seg_id and text (errors are not cached).
    parse = pyx12.segment.Segment._parse_refdes
    parsed = functools.lru_cache(maxsize=4096)(lambda seg_id, ref_des: parse(SimpleNamespace(seg_id=seg_id), ref_des))
    pyx12.segment.Segment._parse_refdes = lambda self, ref_des: parsed(self.seg_id, ref_des)


def _index_elements_by_position() -> None:
    from pyx12.errors import EngineError
    from pyx12.map_if._segment import segment_if

    # Caches a segment's children by position (pyx12 scans them per call); same node, or same EngineError where none or two match.
    def get_child_node_by_idx(self: Any, idx: int) -> Any:
        table = self.__dict__.get("_by_position")
        if table is None:
            table = self._by_position = []
            for position in range(1, len(self.children) + 1):
                found = [c for c in self.children if c.seq == position]
                table.append(found[0] if len(found) == 1 else None)
        if idx >= len(self.children):
            return None
        if idx < 0 or table[idx] is None:  # as the original, which finds no child at a negative position
            raise EngineError(f"idx {idx} not found in {self.id}")
        return table[idx]

    segment_if.get_child_node_by_idx = get_child_node_by_idx


def _hash_paths_once() -> None:
    import pyx12.nodeCounter
    import pyx12.path

    X12Path = pyx12.path.X12Path

    # Caches a path's hash (its text re-formatted per call); equal because pyx12 never edits a path once hashed.
    def path_hash(self: Any) -> int:
        value = self.__dict__.get("_hash")
        if value is None:
            value = self._hash = hash(self.__repr__())
        return value

    X12Path.__hash__ = path_hash
    parsed: dict[str, Any] = {}

    # Caches the parse of a counter's path given as text; equal because the counter only hashes and compares it.
    def make_x12_path(xpath: Any) -> Any:
        if isinstance(xpath, X12Path):
            return xpath
        if xpath not in parsed:
            parsed[xpath] = X12Path(xpath)
        return parsed[xpath]

    # Caches each counted path split into parts; the same test as X12Path.is_child_path (strictly longer, the loop's parts a prefix).
    def reset_to_node(self: Any, xpath: Any) -> None:
        root = make_x12_path(xpath).__repr__().split("/")
        children = []
        for path in self._dict:
            parts = path.__dict__.get("_parts")
            if parts is None:
                parts = path._parts = path.__repr__().split("/")
            if len(parts) > len(root) and parts[:len(root)] == root:
                children.append(path)
        for path in children:
            del self._dict[path]

    pyx12.nodeCounter.NodeCounter.makeX12Path = staticmethod(make_x12_path)
    pyx12.nodeCounter.NodeCounter.reset_to_node = reset_to_node


def _check_segments_by_index() -> None:
    import pyx12.map_if._segment as segment_module
    from pyx12.error_item import EleError
    from pyx12.map_if._composite import composite_if
    from pyx12.map_if._element import element_if
    from pyx12.map_if._segment import segment_if

    def children(node: Any) -> list[Any]:
        kids = node.__dict__.get("_kids")
        if kids is None:
            kids = node._kids = [node.get_child_node_by_idx(i) for i in range(node.get_child_count())]
        return kids

    def when_absent(node: Any) -> tuple[bool, list[Any]]:
        answer = node.__dict__.get("_when_absent")
        if answer is None:
            answer = node._when_absent = node.is_valid_errors(None)
        return answer

    # The absent elements from position `start` on: their answers (each kept per node) joined once per node and start.
    def absent_from(node: Any, kids: list[Any], start: int) -> tuple[bool, list[Any]]:
        tails = node.__dict__.setdefault("_absent_from", {})
        if start not in tails:
            answers = [when_absent(kid) for kid in kids[start:] if isinstance(kid, (composite_if, element_if))]
            tails[start] = (all(ok for ok, _ in answers), [e for _, errs in answers for e in errs])
        return tails[start]

    # The element positions a segment's syntax rules read: a rule's answer depends only on which of them hold a value.
    def syntax_indices(node: Any) -> tuple[int, ...]:
        indices = node.__dict__.get("_syntax_indices")
        if indices is None:
            indices = node._syntax_indices = tuple(sorted({int(i) for syn in node.syntax for i in syn[1:]}))
        return indices

    def syntax_errors(node: Any, seg_data: Any, valid: bool, errors: list[Any]) -> tuple[bool, list[Any]]:
        for syn in node.syntax:
            result, syn_err = segment_module.is_syntax_valid(seg_data, syn)
            if not result:
                errors.append(EleError(err_cde="10" if syn[0] == "E" else "2", err_str=syn_err, refdes=syn[1]))
                valid = False
        return valid, errors

    # Rewrites segment_if.is_valid_errors step by step, elements taken by index; an absent element's answer (frozen
    # errors) kept per node; a segment's syntax rules skipped where the same elements held values and all passed before.
    def is_valid_errors(self: Any, seg_data: Any) -> tuple[bool, list[Any]]:
        valid = True
        errors: list[Any] = []
        kids = children(self)
        child_count = len(kids)
        elements = seg_data.elements
        if len(elements) > child_count:
            err_str = (f'Too many elements in segment "{self.name}" ({seg_data.get_seg_id()}). '
                       f"Has {len(elements)}, should have {child_count}")
            ref_des = f"{child_count + 1:02d}"
            errors.append(EleError(err_cde="3", err_str=err_str, err_val=seg_data.get_value(ref_des), refdes=ref_des))
            valid = False
        dtype: list[str | None] = []
        type_list: list[str | None] = []
        seg_id = seg_data.seg_id
        for i in range(min(len(elements), child_count)):
            child_node = kids[i]
            if isinstance(child_node, composite_if):
                comp_data = elements[i]
                subele_count = child_node.get_child_count()
                if len(comp_data) > subele_count and child_node.usage != "N":
                    subele_node = child_node.children[subele_count + 1]
                    err_str = f'Too many sub-elements in composite "{subele_node.name}" ({subele_node.refdes})'
                    ref_des = f"{i + 1:02d}"
                    errors.append(EleError(err_cde="3", err_str=err_str, err_val=seg_data.get_value(ref_des), refdes=ref_des))
                ok, comp_errors = child_node.is_valid_errors(comp_data)
                valid &= ok
                errors += comp_errors
            elif isinstance(child_node, element_if):
                if i == 1 and seg_id == "DTP" and seg_data.get_value("02") in ("RD8", "D8", "D6", "DT", "TM"):
                    dtype = [seg_data.get_value("02")]
                if child_node.data_ele == "1250":
                    type_list.extend(child_node.valid_codes)
                if i == 2 and seg_id == "DTP":
                    ok, ele_errors = child_node.is_valid_errors(elements[i], dtype)
                elif child_node.data_ele == "1251" and len(type_list) > 0:
                    ok, ele_errors = child_node.is_valid_errors(elements[i], type_list)
                else:
                    # A simple element's kept answer (_cache_element_answers) taken here without the call.
                    parts = elements[i].elements
                    kept = child_node.__dict__.get("_answers")
                    answer = kept.get(parts[0].value) if kept is not None and len(parts) == 1 else None
                    ok, ele_errors = answer if answer is not None else child_node.is_valid_errors(elements[i])
                valid &= ok
                errors += ele_errors
        if len(elements) < child_count:
            ok, absent_errors = absent_from(self, kids, len(elements))
            valid &= ok
            errors += absent_errors
        if not self.syntax:
            return valid, errors
        indices = syntax_indices(self)
        if not indices or indices[0] < 1:  # no position a rule could read: the original's loop alone
            return syntax_errors(self, seg_data, valid, errors)
        # As seg_data.get_value(f"{s:02d}") != "": the element at position s formatted.
        present = (seg_id, tuple(len(elements) >= s and elements[s - 1].format() != "" for s in indices))
        passing = self.__dict__.setdefault("_syntax_passing", set())
        if present in passing:
            return valid, errors
        found = len(errors)
        valid, errors = syntax_errors(self, seg_data, valid, errors)
        if len(errors) == found and len(passing) < ELEMENT_ANSWERS_KEPT:
            passing.add(present)
        return valid, errors

    segment_if.is_valid_errors = is_valid_errors


def _cache_element_answers() -> None:
    from pyx12.map_if._element import element_if

    check = element_if.is_valid_errors

    # Caches a simple element's answer per map node and value (first 4,096 values); equal as it reads only those and the map's settings.
    def is_valid_errors(self: Any, elem: Any, type_list: list[str | None] | None = None) -> tuple[bool, list[Any]]:
        if not elem or type_list or elem.is_composite():
            return check(self, elem, type_list)
        answers = self.__dict__.get("_answers")
        if answers is None:
            answers = self._answers = {}
        value = elem.get_value()
        answer = answers.get(value)
        if answer is None:
            answer = check(self, elem, type_list)
            if len(answers) < ELEMENT_ANSWERS_KEPT:
                answers[value] = answer
        return answer

    element_if.is_valid_errors = is_valid_errors


def _sort_positions_once() -> None:
    import bisect

    import pyx12.map_walker
    from pyx12.map_if._loop import loop_if
    from pyx12.map_if._root import map_if

    # A loop's (or map's) child positions sorted and counted once (pyx12 sorts per call); equal as pos_map is built with the node.
    def positions(node: Any) -> list[int]:
        keys = node.__dict__.get("_positions")
        if keys is None:
            keys = node._positions = sorted(node.pos_map)
        return keys

    def size(self: Any) -> int:
        count = self.__dict__.get("_size")
        if count is None:
            count = self._size = sum(len(self.pos_map[position]) for position in positions(self))
        return count

    def get_first_node(self: Any) -> Any:
        keys = positions(self)
        return self.pos_map[keys[0]][0] if keys else None

    def child_iterator(self: Any) -> Any:
        for position in positions(self):
            yield from self.pos_map[position]

    for cls in (loop_if, map_if):
        cls.__len__, cls.get_first_node = size, get_first_node
    loop_if.childIterator = child_iterator

    # Rewrites walk_tree._scan_loop_at_position with the sorted positions from node_pos on found by bisection.
    def scan_loop_at_position(self: Any, node: Any, node_pos: int, seg_data: Any, orig_node: Any, seg_count: int,
                              cur_line: int, ls_id: str | None, pop_node_list: list[Any]) -> Any:
        keys = positions(node)
        for ord1 in keys[bisect.bisect_left(keys, node_pos):]:
            for child in node.pos_map[ord1]:
                if child.is_segment():
                    result = self._try_match_segment_child(node, child, seg_data, orig_node, seg_count, cur_line,
                                                           ls_id, pop_node_list)
                    if result is not None:
                        return result
                elif child.is_loop():
                    result = self._try_match_loop_child(child, seg_data, seg_count, cur_line, ls_id, pop_node_list)
                    if result is not None:
                        return result
        return None

    pyx12.map_walker.walk_tree._scan_loop_at_position = scan_loop_at_position


def _find_key_fields_once() -> None:
    from pyx12.map_if._segment import segment_if

    unset = object()

    # Caches where a segment node reads its qualifier (pyx12 looks per match); equal because it reads only the node's children.
    def is_match(self: Any, seg: Any) -> bool:
        if seg.get_seg_id() != self.id:
            return False
        key = self.__dict__.get("_key_field", unset)
        if key is unset:
            found = self._resolve_unique_key_field(self.id, with_qual=False)
            if found is not None:
                child, ele_idx, subele_idx = found
                found = (child, f"{ele_idx:02d}-{subele_idx}" if subele_idx else f"{ele_idx:02d}")
            key = self._key_field = found
        if key is None:
            return True
        child, path = key
        return seg.get_value(path) in child._valid_codes_set

    segment_if.is_match = is_match


PATCHES: tuple[Callable[[], None], ...] = (
    _cache_maps, _check_control_characters_by_regex, _cache_reference_designators, _index_elements_by_position,
    _hash_paths_once, _check_segments_by_index, _cache_element_answers, _sort_positions_once, _find_key_fields_once,
)


def speed_up_pyx12() -> bool:
    """Apply the patches to this process's pyx12, once; True when they are applied. A pyx12 other than the
    pinned version is left as it is (False)."""
    global _applied
    import pyx12

    if not _applied and getattr(pyx12, "__version__", None) == PINNED:
        for patch in PATCHES:
            patch()
        _applied = True
    return _applied


def load_835_maps() -> None:
    """Parse the maps an 835 needs (the 5010 envelope and 005010X221A1) now, so the first file validated
    does not pay for them; without the patches there is nothing to keep them in, and nothing is done."""
    if not _applied:
        return
    import pyx12.map_if
    import pyx12.map_index
    import pyx12.params

    index = pyx12.map_index.map_index(None)
    for map_file in ("x12.control.00501.xml", index.get_filename("00501", "005010X221A1", "HP")):
        pyx12.map_if.load_map_file(map_file, pyx12.params.params(), None)
