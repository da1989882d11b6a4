import { StudentHome } from "@/components/sessions/student-home";

export default function StudentPage() {
  return <StudentHome />;
}
