"""The editor driven through real widgets: mouse on the canvas, the palette and the problems list."""

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QSpinBox

from playground.graph import Graph, Lab
from playground.graph.templates import TEMPLATES
from playground.ui.canvas import MIME_LAYER, NODE_H, NODE_W, layer_mime
from playground.ui.main_window import blank_lab
from playground.ui.palette import LayerPaletteTree


def lab_with(*nodes, edges=()):
    """A one-network lab from (kind, name, params, position) tuples."""
    graph = Graph()
    for kind, name, params, pos in nodes:
        graph.add_node(kind, name, params, pos)
    for source, target in edges:
        graph.connect(source, target)
    lab = Lab(name="Test lab")
    lab.add_network("model", "model", graph)
    return lab


def drop_kind(canvas, kind, pos):
    """What a real drag does on the canvas: enter with the palette's mime data, then drop."""
    mime = layer_mime(kind)
    enter = QDragEnterEvent(QPoint(int(pos.x()), int(pos.y())), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(canvas.viewport(), enter)
    assert enter.isAccepted()
    QApplication.sendEvent(canvas.viewport(), QDropEvent(QPointF(pos), Qt.CopyAction, mime, Qt.LeftButton,
                                                         Qt.NoModifier))


def view_pos(canvas, scene_point):
    return canvas.mapFromScene(scene_point)


def drag_connection(qtbot, canvas, source, target, port=None):
    """Press on the source's output port, move over the target's input port, release there."""
    src = canvas.node_item(source)
    dst = canvas.node_item(target)
    a = view_pos(canvas, src.port_scene_pos(None))
    b = view_pos(canvas, dst.port_scene_pos(port or next(iter(dst.in_ports))))
    vp = canvas.viewport()
    qtbot.mousePress(vp, Qt.LeftButton, pos=a)
    qtbot.mouseMove(vp, pos=(a + b) / 2)
    qtbot.mouseMove(vp, pos=b)
    qtbot.mouseRelease(vp, Qt.LeftButton, pos=b)


def test_drop_from_palette_creates_node_at_drop_point(window):
    window.set_lab(blank_lab(), None)
    canvas = window.canvas
    drop_at = QPoint(canvas.viewport().width() // 2, canvas.viewport().height() // 3)
    drop_kind(canvas, "Conv2d", drop_at)
    graph = window.current_graph()
    assert [n.kind for n in graph.nodes.values()].count("Conv2d") == 1
    item = canvas.node_item("conv_1")
    where = canvas.mapToScene(drop_at)
    assert item.sceneBoundingRect().contains(where)
    assert abs(item.pos().x() + NODE_W / 2 - where.x()) <= 10 and abs(item.pos().y() + NODE_H / 2 - where.y()) <= 10
    assert canvas.selected_node_names() == ["conv_1"]
    assert window.inspector.node_name == "conv_1"


def test_pressing_and_moving_on_a_palette_entry_starts_a_drag(window, monkeypatch):
    drags = []
    monkeypatch.setattr(LayerPaletteTree, "exec_drag", lambda self, drag: drags.append(drag.mimeData()))
    tree = window.layer_palette.tree
    entry = tree.entries["LSTM"]
    tree.scrollToItem(entry)
    start = tree.visualItemRect(entry).center()
    QTest.mousePress(tree.viewport(), Qt.LeftButton, Qt.NoModifier, start)
    for dx in (5, 15, 30, 45):
        QTest.mouseMove(tree.viewport(), start + QPoint(dx, 0))
    QTest.mouseRelease(tree.viewport(), Qt.LeftButton, Qt.NoModifier, start + QPoint(45, 0))
    assert len(drags) == 1
    assert bytes(drags[0].data(MIME_LAYER)).decode() == "LSTM"


def test_palette_search_filters_entries(window):
    window.layer_palette.search.setText("pool")
    visible = window.layer_palette.visible_kinds()
    assert "MaxPool2d" in visible and "AvgPool2d" in visible and "Dense" not in visible
    window.layer_palette.search.clear()
    assert "Dense" in window.layer_palette.visible_kinds()


def test_connect_two_ports_by_dragging(window, qtbot):
    window.set_lab(lab_with(("Input", "input_1", {"kind": "vector", "features": 3}, (0, 0)),
                            ("Dense", "dense_1", {"units": 5}, (300, 60))), None)
    drag_connection(qtbot, window.canvas, "input_1", "dense_1")
    graph = window.current_graph()
    assert [(e.source, e.target, e.port) for e in graph.edges] == [("input_1", "dense_1", "in")]
    assert window.canvas.node_item("dense_1").shape_text == "5"
    assert window.canvas.node_item("dense_1").count_text == "20 parameters"
    edge_item = window.canvas.arch_scene.edge_items[graph.edges[0]]
    assert edge_item.label.text() == "3"


def test_invalid_connection_is_refused_and_its_reason_shows(window, qtbot):
    window.set_lab(lab_with(("Input", "input_1", {"kind": "image"}, (0, 0)),
                            ("Dense", "dense_1", {}, (300, 0))), None)
    drag_connection(qtbot, window.canvas, "input_1", "dense_1")
    graph = window.current_graph()
    assert graph.edges == ()
    assert "insert a Flatten" in window.canvas.last_error
    assert "insert a Flatten" in window.statusBar().currentMessage()
    assert "insert a Flatten" in window.canvas.arch_scene.bubble_text
    assert window.undo_stack.count() == 0


def test_cycle_is_refused(window, qtbot):
    window.set_lab(lab_with(("Input", "input_1", {}, (0, 0)), ("Dense", "dense_1", {}, (200, 0)),
                            ("Tanh", "tanh_1", {}, (400, 0)), edges=[("input_1", "dense_1"), ("dense_1", "tanh_1")]),
                   None)
    window.current_graph().disconnect("input_1", "dense_1")
    drag_connection(qtbot, window.canvas, "tanh_1", "dense_1")
    assert "cycle" in window.canvas.last_error


def click_node(qtbot, canvas, name):
    item = canvas.node_item(name)
    qtbot.mouseClick(canvas.viewport(), Qt.LeftButton, pos=view_pos(canvas, item.mapToScene(QPointF(40, 40))))


def test_inspector_edit_changes_the_shape_on_the_node(window, qtbot):
    window.load_template("tensorflow_playground")
    canvas = window.canvas
    click_node(qtbot, canvas, "dense_1")
    assert window.inspector.node_name == "dense_1"
    spin = window.inspector.findChild(QSpinBox, "param_units")
    assert spin.value() == 4
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), "7")
    qtbot.keyClick(spin.lineEdit(), Qt.Key_Return)
    graph = window.current_graph()
    assert graph.node("dense_1").params["units"] == 7
    assert canvas.node_item("dense_1").shape_text == "7"
    assert canvas.node_item("dense_1").params_text == "7 units"
    edge = next(e for e in graph.edges if e.source == "dense_1")
    assert canvas.arch_scene.edge_items[edge].label.text() == "7"
    assert "7" in window.inspector.info.text()
    assert window.isWindowModified()
    window.undo_stack.undo()
    assert spin.value() == 4 and canvas.node_item("dense_1").shape_text == "4"


def test_undo_and_redo_return_to_exactly_the_same_lab_json(window, qtbot):
    window.load_template("residual_block")
    canvas, stack = window.canvas, window.undo_stack
    before = window.lab.to_json()
    # A drop, a connection, a parameter, a move, a rename, a deletion from the middle, a paste.
    drop_kind(canvas, "Dropout", QPoint(100, 100))
    window.current_graph().disconnect("tanh_3", "dense_4")  # free an input (outside the stack: re-done below)
    window.current_graph().connect("tanh_3", "dense_4")
    before = window.lab.to_json()
    stack.clear()
    drop_kind(canvas, "ReLU", QPoint(120, 400))
    canvas.request_connect("dense_4", "relu_1")
    window.inspector.show_node("dense_2")
    window.inspector.commit("units", 24)
    item = canvas.node_item("tanh_2")
    start = view_pos(canvas, item.mapToScene(QPointF(50, 50)))
    qtbot.mousePress(canvas.viewport(), Qt.LeftButton, pos=start)
    qtbot.mouseMove(canvas.viewport(), pos=start + QPoint(40, 30))
    qtbot.mouseMove(canvas.viewport(), pos=start + QPoint(80, 60))
    qtbot.mouseRelease(canvas.viewport(), Qt.LeftButton, pos=start + QPoint(80, 60))
    assert window.current_graph().node("tanh_2").position != (760.0, 120.0)
    window.inspector.show_node("dense_1")
    window.inspector._rename("hidden")
    canvas.select_nodes(["tanh_1"])
    qtbot.keyClick(canvas, Qt.Key_Delete)
    assert "tanh_1" not in window.current_graph()
    canvas.select_nodes(["dense_3"])
    assert canvas.duplicate()
    after = window.lab.to_json()
    assert stack.count() >= 7
    while stack.canUndo():
        stack.undo()
    assert window.lab.to_json() == before
    while stack.canRedo():
        stack.redo()
    assert window.lab.to_json() == after
    # The canvas mirrors the graph after all that: one item per node and edge.
    graph = window.current_graph()
    assert set(canvas.arch_scene.node_items) == set(graph.nodes)
    assert set(canvas.arch_scene.edge_items) == set(graph.edges)


def test_keyboard_shortcuts_undo_redo_delete(window, qtbot):
    window.load_template("logistic_regression")
    canvas = window.canvas
    before = window.lab.to_json()
    canvas.setFocus()
    canvas.select_nodes(["dense_1"])
    qtbot.keyClick(canvas, Qt.Key_Delete)
    assert "dense_1" not in window.current_graph()
    qtbot.keyClick(canvas, Qt.Key_Z, Qt.ControlModifier)
    assert window.lab.to_json() == before
    qtbot.keyClick(canvas, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert "dense_1" not in window.current_graph()
    qtbot.keyClick(canvas, Qt.Key_Z, Qt.ControlModifier)
    canvas.select_nodes(["dense_1"])
    qtbot.keyClick(canvas, Qt.Key_D, Qt.ControlModifier)
    assert "dense_2" in window.current_graph()
    canvas.select_nodes(["input_1"])
    qtbot.keyClick(canvas, Qt.Key_C, Qt.ControlModifier)
    qtbot.keyClick(canvas, Qt.Key_V, Qt.ControlModifier)
    assert "input_2" in window.current_graph()
    qtbot.keyClick(canvas, Qt.Key_L)
    xs = {n: node.position[0] for n, node in window.current_graph().nodes.items()}
    assert xs["input_1"] < xs["dense_1"] < xs["output_1"]


def test_every_template_loads_valid(window):
    for key in TEMPLATES:
        window.load_template(key)
        assert window.stack.currentIndex() == 1
        assert window.network_tabs.count() == len(window.lab.networks)
        for i, net in enumerate(window.lab.networks):
            window.network_tabs.setCurrentIndex(i)
            assert window.current_graph() is net.graph
            assert set(window.canvas.arch_scene.node_items) == set(net.graph.nodes)
            assert window.problems.problem_texts()[0].startswith("✓"), (key, net.name)
            assert all(item.shape_text for item in window.canvas.arch_scene.node_items.values())
        if len(window.lab.networks) > 1:
            assert window.network_tabs.isVisible()
            roles = [window.network_tabs.tabText(i) + window.network_tabs.tabToolTip(i)
                     for i in range(window.network_tabs.count())]
            assert all(net.role in text for net, text in zip(window.lab.networks, roles))


def test_save_and_reopen_a_lab(window, qtbot, tmp_path, settings):
    window.load_template("gan")
    window.network_tabs.setCurrentIndex(1)
    window.inspector.show_node("dense_3")
    window.inspector.commit("units", 3)
    assert window.isWindowModified()
    path = tmp_path / "my_gan.json"
    assert window.save_as(str(path))
    assert not window.isWindowModified()
    assert "my_gan.json" in window.windowTitle()
    saved = window.lab.to_json()
    assert path.read_text(encoding="utf-8") == saved

    from playground.app import new_window

    other = new_window(settings)
    qtbot.addWidget(other)
    assert other.recent_labs()[0] == str(path)
    assert other.open_lab(str(path))
    assert other.lab.to_json() == saved
    assert other.lab.network("discriminator").graph.node("dense_3").params["units"] == 3
    assert not other.isWindowModified() and "my_gan.json" in other.windowTitle()
    other.close()


def test_opening_a_broken_file_shows_the_message(window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(a[2]))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert not window.open_lab(str(bad))
    assert shown and "not valid JSON" in shown[0]


def test_clicking_a_problem_selects_its_node(window, qtbot):
    window.load_template("lenet")
    window.apply_setting("conv_2.kernel_size=15")
    problems = window.problems
    assert "kernel 15" in problems.problem_texts()[0]
    assert "1 problem" in window.problems_label.text()
    window.canvas.select_nodes([])
    item = problems.item(0)
    qtbot.mouseClick(problems.viewport(), Qt.LeftButton, pos=problems.visualItemRect(item).center())
    assert window.canvas.selected_node_names() == ["conv_2"]
    assert window.canvas.node_item("conv_2").problem is not None
    assert "kernel 15" in window.canvas.node_item("conv_2").toolTip()
    assert "kernel 15" in window.inspector.problem.text()


def test_closing_with_unsaved_changes_asks(window, monkeypatch):
    window.load_template("spiral")
    window.inspector.show_node("dense_1")
    window.inspector.commit("units", 3)
    asked = []

    def answer(choice):
        def question(*args, **kwargs):
            asked.append(args[2])
            return choice
        return question

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.Cancel))
    window.close()
    assert asked and window.isVisible()
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.Discard))
    window.close()
    assert len(asked) == 2 and not window.isVisible()


def test_window_geometry_is_remembered(qtbot, settings):
    from playground.app import new_window

    first = new_window(settings)
    qtbot.addWidget(first)
    first.resize(640, 470)  # the offscreen screen is small; larger sizes are clamped
    first.show()
    first.close()
    second = new_window(settings)
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (640, 470)


def test_command_line_arguments():
    from playground.ui.window_launch import parse_args

    args = parse_args(["--template", "lenet", "--set", "conv_2.kernel_size=15"])
    assert args.template == "lenet" and args.set == ["conv_2.kernel_size=15"]
    assert parse_args(["lab.json"]).lab == "lab.json"


def test_lab_json_survives_the_editor_untouched(window):
    window.load_template("vae")
    assert Lab.from_json(window.lab.to_json()).to_json() == TEMPLATES["vae"].build().to_json()
