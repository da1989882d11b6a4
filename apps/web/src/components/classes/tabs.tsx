// The tabs of the class page that other parts of the classroom fill: sessions, assignments, the gradebook.
export { ClassAssignmentsTab } from "../assignments/class-assignments-tab";
export { ClassGradebookTab } from "../assignments/class-gradebook-tab";
export { ClassSessionsTab } from "../sessions/class-sessions-tab";
