"""Cell edits in an ``st.data_editor`` under AppTest, which draws the editor but cannot edit it."""
import json

from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest


def edit_and_click(app: AppTest, column: str, cells: dict[int, str], button: str) -> AppTest:
    """Set ``column`` of the rows ``cells`` names in the page's data editor and click the button keyed ``button``, in
    one rerun: as when the click comes before the edit's own rerun has drawn the page again, so every widget
    Streamlit holds (the button's callback arguments too) is still the one drawn before the edit."""
    return _run_with_edits(app, app.button(key=button).click(), column, cells)


def edit(app: AppTest, column: str, cells: dict[int, str]) -> AppTest:
    """Set ``column`` of the rows ``cells`` names in the page's data editor: the rerun an edit makes, no button."""
    return _run_with_edits(app, app.data_editor[0], column, cells)


def _run_with_edits(app: AppTest, widget, column: str, cells: dict[int, str]) -> AppTest:
    states = widget.root.get_widget_states()
    edits = {"edited_rows": {str(row): {column: value} for row, value in cells.items()}, "added_rows": [], "deleted_rows": []}
    states.widgets.append(WidgetState(id=app.data_editor[0].proto.id, string_value=json.dumps(edits)))
    return app._run(states)
