import type { StaffEntry } from "./service/staff-import.ts";

/** `serve --demo`: a branch that works out of the box, data under ./data. */
export const DEMO_CONFIG = {
  branch: { id: "demo", name: "Демо-филиал", timezone: "Europe/Moscow" },
  storage: { dir: "./data" },
  desks: [{ id: "front", name: "Ресепшен", extension: "101" }],
  departments: [{ name: "Отдел продаж", extension: "600" }],
};

/** Printed at start so whoever tries the demo can log in. Never use these anywhere else. */
export const DEMO_STAFF: StaffEntry[] = [
  { id: "anna", name: "Анна Смирнова", role: "reception", pin: "1111", extension: null },
  { id: "olga", name: "Ольга Петрова", role: "reception", pin: "2222", extension: null },
  { id: "irina", name: "Ирина Козлова", role: "reception", pin: "3333", extension: null },
  { id: "sergey", name: "Сергей Иванов", role: "manager", pin: "9999", extension: "102" },
];
