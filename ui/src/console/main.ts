import { mount } from "svelte";
import Console from "./Console.svelte";
import "../app.css";
import "./console.css";

const target = document.getElementById("app");
if (target) mount(Console, { target });
